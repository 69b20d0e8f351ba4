import { randomBytes } from 'node:crypto';
import { appendFile, mkdir, readFile, readdir, rename, rm } from 'node:fs/promises';
import { join } from 'node:path';
import { InteractionRecordSchema, type InteractionRecord } from './interaction-record.js';

const SPILL_PATTERN = /^spill-.+\.jsonl$/;

/**
 * Records the log store could not write yet, kept as JSONL files under `directory` until a replay
 * writes them. A replay claims a file by renaming it first (atomic), so two gateways sharing the
 * folder never replay the same file twice; a file whose replay fails is renamed back.
 */
export class SpillFile {
  private readonly file: string;
  private ready: Promise<unknown> | undefined;

  constructor(readonly directory: string) {
    this.file = join(directory, `spill-${process.pid}-${randomBytes(4).toString('hex')}.jsonl`);
  }

  /** Appends records (one write call, so a crash loses at most the last line). */
  async write(records: InteractionRecord[]): Promise<void> {
    if (records.length === 0) return;
    this.ready ??= mkdir(this.directory, { recursive: true });
    await this.ready;
    await appendFile(this.file, records.map((record) => `${JSON.stringify(record)}\n`).join(''), { encoding: 'utf8', mode: 0o600 });
  }

  /**
   * Claims every spill file in the folder (this process's and those left by earlier ones) and
   * hands each file's records to `replay`. A file is deleted once `replay` resolves; when it
   * rejects, the file goes back under a spill name for a later attempt and the error is rethrown.
   */
  async replay(replay: (records: InteractionRecord[]) => Promise<void>): Promise<{ files: number; records: number; skippedLines: number }> {
    const names = (await readdir(this.directory).catch(() => [] as string[])).filter((name) => SPILL_PATTERN.test(name));
    const totals = { files: 0, records: 0, skippedLines: 0 };
    for (const name of names) {
      const claimed = join(this.directory, `replaying-${process.pid}-${randomBytes(4).toString('hex')}.jsonl`);
      try {
        await rename(join(this.directory, name), claimed);
      } catch {
        continue; // another gateway claimed it first
      }
      const records: InteractionRecord[] = [];
      for (const line of (await readFile(claimed, 'utf8')).split('\n')) {
        if (line.trim() === '') continue;
        const parsed = parseRecord(line);
        if (parsed) records.push(parsed);
        else totals.skippedLines += 1;
      }
      try {
        await replay(records);
      } catch (error) {
        await rename(claimed, join(this.directory, `spill-${process.pid}-${randomBytes(4).toString('hex')}.jsonl`));
        throw error;
      }
      await rm(claimed, { force: true });
      totals.files += 1;
      totals.records += records.length;
    }
    return totals;
  }
}

function parseRecord(line: string): InteractionRecord | undefined {
  try {
    return InteractionRecordSchema.safeParse(JSON.parse(line)).data;
  } catch {
    return undefined; // a line cut by a crash
  }
}
