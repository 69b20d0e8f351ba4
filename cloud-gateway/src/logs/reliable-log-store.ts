import { ExponentialBackoff, handleWhen, retry, type RetryPolicy } from 'cockatiel';
import type { Logger } from 'pino';
import type { InteractionRecord } from './interaction-record.js';
import type { LogPage, LogQuery, LogReader, LogStore } from './log-store.js';
import { SpillFile } from './spill-file.js';

/** A log backend that writes in batches (DynamoDB's BatchWriteItem). */
export interface BatchLogTarget extends LogReader {
  readonly provider: string;
  /** Largest batch `writeBatch` takes. */
  readonly maxBatch: number;
  /** Writes the records; resolves with the ones the backend left unprocessed (throttling). */
  writeBatch(records: InteractionRecord[]): Promise<InteractionRecord[]>;
  close(): Promise<void>;
}

export interface ReliableLogStoreOptions {
  /** Folder of the spill files (records not written yet). */
  spillDirectory: string;
  /** How long a record waits for others to fill its batch. @default 100 */
  batchDelayMs?: number;
  /** Attempts per batch before its records go to the spill file. @default 6 */
  maxAttempts?: number;
  /** First retry delay; doubles per attempt (with jitter) up to `maxBackoffMs`. @default 50 */
  initialBackoffMs?: number;
  /** @default 2000 */
  maxBackoffMs?: number;
  /** How often spilled records are replayed (also once at start). @default 60000 */
  replayIntervalMs?: number;
  /** Records waiting in memory beyond this go straight to the spill file. @default 5000 */
  maxPending?: number;
  /** Longest `close()` keeps retrying before it spills what is left. @default 5000 */
  closeTimeoutMs?: number;
  logger?: Logger;
  /** Called with the number of records each time some go to the spill file (a metric). */
  onSpill?: (records: number) => void;
}

interface Pending {
  record: InteractionRecord;
  resolve(): void;
  reject(error: unknown): void;
}

/** Errors DynamoDB asks callers to retry (throttling, capacity, server side, network). */
const PERMANENT_ERRORS = new Set(['ResourceNotFoundException', 'ValidationException', 'AccessDeniedException', 'UnrecognizedClientException', 'SerializationException']);

class UnprocessedRecordsError extends Error {
  override readonly name = 'UnprocessedRecordsError';
  constructor(readonly count: number) {
    super(`${count} record(s) left unprocessed (throttled)`);
  }
}

/**
 * Interaction records are never lost quietly: appends are queued at once and written in batches;
 * throttled or failed batches are retried with exponential backoff; what still fails goes to a
 * local spill file that is replayed later (every `replayIntervalMs` and at the next start);
 * `close()` flushes the queue (spilling what the deadline does not allow to write), and a record
 * that arrives after `close()` is spilled, not dropped.
 */
export class ReliableLogStore implements LogStore {
  readonly provider: string;
  private readonly queue: Pending[] = [];
  private readonly spill: SpillFile;
  private readonly policy: RetryPolicy;
  private readonly options: Required<Omit<ReliableLogStoreOptions, 'logger' | 'onSpill'>> & { logger: Logger | undefined; onSpill: ((records: number) => void) | undefined };
  private readonly closing = new AbortController();
  private batchTimer: NodeJS.Timeout | undefined;
  private readonly replayTimer: NodeJS.Timeout;
  private flushing: Promise<void> | undefined;
  private replaying: Promise<void> | undefined;
  private closed = false;

  constructor(
    private readonly target: BatchLogTarget,
    options: ReliableLogStoreOptions,
  ) {
    this.provider = target.provider;
    this.options = {
      spillDirectory: options.spillDirectory,
      batchDelayMs: options.batchDelayMs ?? 100,
      maxAttempts: options.maxAttempts ?? 6,
      initialBackoffMs: options.initialBackoffMs ?? 50,
      maxBackoffMs: options.maxBackoffMs ?? 2000,
      replayIntervalMs: options.replayIntervalMs ?? 60_000,
      maxPending: options.maxPending ?? 5000,
      closeTimeoutMs: options.closeTimeoutMs ?? 5000,
      logger: options.logger,
      onSpill: options.onSpill,
    };
    this.spill = new SpillFile(options.spillDirectory);
    this.policy = retry(
      handleWhen((error) => !PERMANENT_ERRORS.has(error.name)),
      {
        maxAttempts: this.options.maxAttempts - 1,
        backoff: new ExponentialBackoff({ initialDelay: this.options.initialBackoffMs, maxDelay: this.options.maxBackoffMs }),
      },
    );
    this.replayTimer = setInterval(() => void this.replaySpilled(), this.options.replayIntervalMs);
    this.replayTimer.unref();
    setImmediate(() => void this.replaySpilled());
  }

  append(record: InteractionRecord): Promise<void> {
    if (this.closed || this.queue.length >= this.options.maxPending) return this.spillRecords([record]);
    return new Promise<void>((resolve, reject) => {
      this.queue.push({ record, resolve, reject });
      if (this.queue.length >= this.target.maxBatch) this.flushSoon(0);
      else this.flushSoon(this.options.batchDelayMs);
    });
  }

  query(query: LogQuery): Promise<LogPage> {
    return this.target.query(query);
  }

  recent(limit: number): Promise<InteractionRecord[]> {
    return this.target.recent(limit);
  }

  /** Writes the spill files' records through the same batches and retries; a failure keeps them spilled. */
  replaySpilled(): Promise<void> {
    this.replaying ??= (async () => {
      try {
        const replayed = await this.spill.replay(async (records) => {
          for (let start = 0; start < records.length; start += this.target.maxBatch) {
            const failed = await this.writeWithRetry(records.slice(start, start + this.target.maxBatch));
            if (failed) throw failed;
          }
        });
        if (replayed.records > 0) this.options.logger?.info(replayed, 'replayed spilled interaction records');
      } catch (error) {
        this.options.logger?.warn({ err: error }, 'replaying spilled interaction records failed; will try again');
      } finally {
        this.replaying = undefined;
      }
    })();
    return this.replaying;
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    clearInterval(this.replayTimer);
    if (this.batchTimer) clearTimeout(this.batchTimer);
    const deadline = setTimeout(() => this.closing.abort(), this.options.closeTimeoutMs);
    try {
      await this.flush();
      await this.replaying;
    } finally {
      clearTimeout(deadline);
      await this.target.close();
    }
  }

  private flushSoon(delayMs: number): void {
    if (delayMs === 0) {
      if (this.batchTimer) clearTimeout(this.batchTimer);
      this.batchTimer = undefined;
      void this.flush();
      return;
    }
    this.batchTimer ??= setTimeout(() => {
      this.batchTimer = undefined;
      void this.flush();
    }, delayMs);
  }

  /** Drains the queue batch by batch (one writer at a time); resolves when the queue is empty. */
  private async flush(): Promise<void> {
    while (this.flushing) await this.flushing;
    if (this.queue.length === 0) return;
    this.flushing = (async () => {
      while (this.queue.length > 0) {
        const batch = this.queue.splice(0, this.target.maxBatch);
        const records = batch.map((entry) => entry.record);
        const failed = await this.writeWithRetry(records);
        if (!failed) {
          for (const entry of batch) entry.resolve();
          continue;
        }
        this.options.logger?.warn({ err: failed, records: records.length }, 'interaction log write failed; records spilled to disk for a later replay');
        try {
          await this.spillRecords(records);
          for (const entry of batch) entry.resolve();
        } catch (error) {
          for (const entry of batch) entry.reject(error);
        }
      }
    })();
    try {
      await this.flushing;
    } finally {
      this.flushing = undefined;
    }
  }

  private async spillRecords(records: InteractionRecord[]): Promise<void> {
    await this.spill.write(records);
    this.options.onSpill?.(records.length);
  }

  /**
   * Writes one batch with retries; resolves with the last error when it gave up (undefined: all
   * written). On failure `records` is cut down to the ones not written.
   */
  private async writeWithRetry(records: InteractionRecord[]): Promise<unknown> {
    let remaining = records;
    try {
      await this.policy.execute(async () => {
        remaining = await this.target.writeBatch(remaining);
        if (remaining.length > 0) throw new UnprocessedRecordsError(remaining.length);
      }, this.closing.signal);
      return undefined;
    } catch (error) {
      // only the records not yet written go to the spill file
      records.splice(0, records.length, ...remaining);
      return error;
    }
  }
}
