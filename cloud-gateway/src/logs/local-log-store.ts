import { createWriteStream, type WriteStream } from 'node:fs';
import { mkdir } from 'node:fs/promises';
import { join } from 'node:path';
import type { InteractionRecord } from './interaction-record.js';
import type { LogStore } from './log-store.js';

/**
 * Append-only JSONL files under `<dataDir>/logs`, one per UTC day (`interactions-YYYY-MM-DD.jsonl`),
 * one line per interaction. The day's file stays open in append mode (no open/close per record);
 * lines are written whole and in order; the stream rotates when the day changes.
 */
export class LocalLogStore implements LogStore {
  readonly provider = 'local';
  readonly directory: string;
  private ready: Promise<unknown> | undefined;
  private current: { file: string; stream: WriteStream } | undefined;

  constructor(dataDir: string) {
    this.directory = join(dataDir, 'logs');
  }

  fileFor(createdAt: string): string {
    return join(this.directory, `interactions-${createdAt.slice(0, 10)}.jsonl`);
  }

  async append(record: InteractionRecord): Promise<void> {
    this.ready ??= mkdir(this.directory, { recursive: true });
    await this.ready;
    const stream = this.streamFor(this.fileFor(record.createdAt));
    await new Promise<void>((resolve, reject) => {
      stream.write(`${JSON.stringify(record)}\n`, (error) => (error ? reject(error) : resolve()));
    });
  }

  async close(): Promise<void> {
    const current = this.current;
    this.current = undefined;
    if (current) await closeStream(current.stream);
  }

  private streamFor(file: string): WriteStream {
    if (this.current?.file === file) return this.current.stream;
    const previous = this.current;
    const stream = createWriteStream(file, { flags: 'a' });
    // Errors surface through each write's callback; this keeps an unhandled 'error' from crashing.
    stream.on('error', () => undefined);
    this.current = { file, stream };
    if (previous) void closeStream(previous.stream);
    return stream;
  }
}

function closeStream(stream: WriteStream): Promise<void> {
  return new Promise((resolve) => {
    if (stream.destroyed) return resolve();
    stream.end(() => resolve());
    stream.once('error', () => resolve());
  });
}
