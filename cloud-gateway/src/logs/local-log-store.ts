import { appendFile, mkdir } from 'node:fs/promises';
import { join } from 'node:path';
import type { InteractionRecord } from './interaction-record.js';
import type { LogStore } from './log-store.js';

/**
 * Append-only JSONL files under `<dataDir>/logs`, one per UTC day (`interactions-YYYY-MM-DD.jsonl`),
 * one line per interaction. Writes are chained so lines never interleave and keep their order.
 */
export class LocalLogStore implements LogStore {
  readonly provider = 'local';
  readonly directory: string;
  private tail: Promise<void> = Promise.resolve();
  private ready: Promise<unknown> | undefined;

  constructor(dataDir: string) {
    this.directory = join(dataDir, 'logs');
  }

  fileFor(createdAt: string): string {
    return join(this.directory, `interactions-${createdAt.slice(0, 10)}.jsonl`);
  }

  append(record: InteractionRecord): Promise<void> {
    this.ready ??= mkdir(this.directory, { recursive: true });
    const line = `${JSON.stringify(record)}\n`;
    const write = this.tail.then(async () => {
      await this.ready;
      await appendFile(this.fileFor(record.createdAt), line, 'utf8');
    });
    this.tail = write.catch(() => undefined);
    return write;
  }

  async close(): Promise<void> {
    await this.tail;
  }
}
