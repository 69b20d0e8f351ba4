import { closeSync, createReadStream, mkdirSync, openSync, writeSync } from 'node:fs';
import { mkdir, open, readdir } from 'node:fs/promises';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { z } from 'zod';
import { InteractionRecordSchema, type InteractionRecord } from './interaction-record.js';
import { daysOf, decodeCursor, encodeCursor, type LogPage, type LogQuery, type LogStore } from './log-store.js';

const FILE_PATTERN = /^interactions-(\d{4}-\d{2}-\d{2})\.jsonl$/;
/** How much of the newest files `recent()` reads from their ends. */
const RECENT_TAIL_BYTES = 256 * 1024;

/** Where a local query resumes: the day file and the byte offset of the next line. */
interface LocalCursor {
  day: string;
  offset: number;
}

/**
 * Append-only JSONL files under `<dataDir>/logs`, one per UTC day (`interactions-YYYY-MM-DD.jsonl`),
 * one line per interaction. The day's file stays open in append mode (no open/close per record)
 * and each line is written whole, in order, with one synchronous `write` when it is appended: a
 * small append to a local file goes to the page cache, and costs less than a round trip through
 * libuv's thread pool (a thread woken per record, then the event loop woken for its completion),
 * which was a large share of the gateway's CPU per chat turn. Queries read the day files of the
 * range line by line (records are appended in time order, so a file is sorted up to the few
 * milliseconds two concurrent turns may differ by). Production logs to DynamoDB in batches
 * (`ReliableLogStore`); this store serves `npm start`, development and tests.
 */
export class LocalLogStore implements LogStore {
  readonly provider = 'local';
  readonly directory: string;
  private readonly write: WriteSync;
  private current: { file: string; fd: number } | undefined;
  /** The path of the last record's day file. */
  private dayFile: { day: string; file: string } | undefined;
  /** A file whose last write stopped part way through a line: the next record there starts on a new line. */
  private cutFile: string | undefined;
  private closed = false;

  /** `options.write`: the synchronous write (a test injects a failing disk). */
  constructor(dataDir: string, options: { write?: WriteSync } = {}) {
    this.directory = join(dataDir, 'logs');
    this.write = options.write ?? writeSync;
  }

  fileFor(createdAt: string): string {
    const day = createdAt.slice(0, 10);
    // One `path.join` per day rather than per record (a measurable share of an append).
    if (this.dayFile?.day !== day) this.dayFile = { day, file: join(this.directory, `interactions-${day}.jsonl`) };
    return this.dayFile.file;
  }

  append(record: InteractionRecord): Promise<void> {
    if (this.closed) return Promise.reject(new Error('the local log store is closed'));
    const file = this.fileFor(record.createdAt);
    const line = Buffer.from(`${this.cutFile === file ? '\n' : ''}${JSON.stringify(record)}\n`, 'utf8');
    let written = 0;
    try {
      const fd = this.fdFor(file);
      while (written < line.length) written += this.write(fd, line, written);
      if (this.cutFile === file) this.cutFile = undefined;
      return Promise.resolve();
    } catch (error) {
      // A failed write (ENOSPC, EIO) drops the fd, so the next record reopens the file; a line it
      // left half written is ended by the next record's leading newline (the reader skips the half).
      if (written > 0) this.cutFile = file;
      this.dropCurrent();
      return Promise.reject(error);
    }
  }

  async query(query: LogQuery): Promise<LogPage> {
    const limit = query.limit ?? 1000;
    const days = daysOf(query);
    const start = query.cursor === undefined ? { day: days[0] ?? '', offset: 0 } : parseCursor(query.cursor);
    const from = query.from.toISOString();
    const to = query.to.toISOString();
    const records: InteractionRecord[] = [];
    for (const day of days) {
      if (day < start.day) continue;
      let offset = day === start.day ? start.offset : 0;
      for await (const { line, bytes } of this.linesOf(day, offset)) {
        offset += bytes;
        const record = parseLine(line);
        if (!record || record.createdAt < from || record.createdAt >= to) continue;
        records.push(record);
        if (records.length === limit) return { records, nextCursor: encodeCursor({ day, offset } satisfies LocalCursor) };
      }
    }
    return { records, nextCursor: null };
  }

  async recent(limit: number): Promise<InteractionRecord[]> {
    const files = (await readdir(this.directory).catch(() => [] as string[])).filter((name) => FILE_PATTERN.test(name)).sort().reverse();
    const newest: InteractionRecord[] = [];
    for (const name of files) {
      const handle = await open(join(this.directory, name), 'r');
      try {
        const { size } = await handle.stat();
        const length = Math.min(size, RECENT_TAIL_BYTES);
        const buffer = Buffer.alloc(length);
        await handle.read(buffer, 0, length, size - length);
        const lines = buffer.toString('utf8').split('\n');
        if (length < size) lines.shift(); // the first line is cut
        for (const line of lines.reverse()) {
          const record = parseLine(line);
          if (record) newest.push(record);
          if (newest.length === limit) return newest;
        }
      } finally {
        await handle.close();
      }
      if (newest.length >= limit) break;
    }
    return newest;
  }

  async close(): Promise<void> {
    this.closed = true;
    this.dropCurrent();
  }

  private dropCurrent(): void {
    const current = this.current;
    this.current = undefined;
    if (current) closeSync(current.fd);
  }

  private async *linesOf(day: string, offset: number): AsyncGenerator<{ line: string; bytes: number }> {
    const stream = createReadStream(join(this.directory, `interactions-${day}.jsonl`), { start: offset, encoding: 'utf8' });
    const missing = new Promise<boolean>((resolve) => {
      stream.once('error', (error: NodeJS.ErrnoException) => resolve(error.code === 'ENOENT'));
      stream.once('open', () => resolve(false));
    });
    if (await missing) return;
    const lines = createInterface({ input: stream, crlfDelay: Infinity });
    try {
      for await (const line of lines) yield { line, bytes: Buffer.byteLength(line, 'utf8') + 1 };
    } finally {
      lines.close();
      stream.destroy();
    }
  }

  private fdFor(file: string): number {
    if (this.current?.file === file) return this.current.fd;
    const fd = openCreatingDirectory(file, this.directory);
    const previous = this.current;
    this.current = { file, fd };
    if (previous) closeSync(previous.fd);
    return fd;
  }
}

type WriteSync = (fd: number, buffer: Buffer, offset: number) => number;

/** Opens `file` for appending, making its directory when it is missing (first use, or deleted since). */
function openCreatingDirectory(file: string, directory: string): number {
  try {
    return openSync(file, 'a');
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'ENOENT') throw error;
    mkdirSync(directory, { recursive: true });
    return openSync(file, 'a');
  }
}

function parseLine(line: string): InteractionRecord | undefined {
  if (line.trim() === '') return undefined;
  try {
    const parsed = InteractionRecordSchema.safeParse(JSON.parse(line));
    return parsed.success ? parsed.data : undefined;
  } catch {
    return undefined; // a line cut by a crash is skipped, not fatal
  }
}

const LocalCursorSchema = z.object({ day: z.string().regex(/^\d{4}-\d{2}-\d{2}$/), offset: z.number().int().nonnegative() });

function parseCursor(cursor: string): LocalCursor {
  return decodeCursor(cursor, (value) => LocalCursorSchema.safeParse(value).data);
}
