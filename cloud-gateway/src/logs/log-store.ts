import { AppError } from '@review-assistant/shared';
import type { InteractionRecord } from './interaction-record.js';

/** A half-open time range `[from, to)` of the interaction log. */
export interface LogRange {
  from: Date;
  to: Date;
}

export interface LogQuery extends LogRange {
  /** Records per page. @default 1000 */
  limit?: number;
  /** `nextCursor` of the previous page; absent for the first page. */
  cursor?: string | undefined;
}

/** One page of records in time order (oldest first). */
export interface LogPage {
  records: InteractionRecord[];
  /** Pass as `cursor` for the next page; null on the last page. */
  nextCursor: string | null;
}

/** How operators read the interaction log back. */
export interface LogReader {
  /** Records of a time range, oldest first, one page at a time. */
  query(query: LogQuery): Promise<LogPage>;
  /** The newest records (up to `limit`), newest first. */
  recent(limit: number): Promise<InteractionRecord[]>;
}

/** Where interaction records go, and how operators read them back. */
export interface LogStore extends LogReader {
  /** e.g. `local`, `dynamodb` */
  readonly provider: string;
  /**
   * Takes the record at once (synchronously: a `close()` called right after still writes it) and
   * resolves when it is stored. Callers log a rejection and move on; a chat never waits for it.
   */
  append(record: InteractionRecord): Promise<void>;
  /** Writes everything pending, then releases files and connections. */
  close(): Promise<void>;
}

/** Every record of a range, oldest first, page by page. */
export async function* recordsInRange(store: Pick<LogStore, 'query'>, range: LogRange, pageSize = 1000): AsyncGenerator<InteractionRecord> {
  let cursor: string | undefined;
  do {
    const page = await store.query({ ...range, limit: pageSize, cursor });
    yield* page.records;
    cursor = page.nextCursor ?? undefined;
  } while (cursor !== undefined);
}

/** The UTC days (`YYYY-MM-DD`) a range touches, in order. */
export function daysOf(range: LogRange): string[] {
  const days: string[] = [];
  const last = new Date(range.to.getTime() - 1);
  for (let day = Date.UTC(range.from.getUTCFullYear(), range.from.getUTCMonth(), range.from.getUTCDate()); day <= last.getTime(); day += 86_400_000) {
    days.push(new Date(day).toISOString().slice(0, 10));
  }
  return days;
}

/** Opaque page cursors: base64url JSON. */
export function encodeCursor(value: unknown): string {
  return Buffer.from(JSON.stringify(value), 'utf8').toString('base64url');
}

/** Reads a cursor back through `accept`; anything this store did not make is a 400. */
export function decodeCursor<T>(cursor: string, accept: (value: unknown) => T | undefined): T {
  let value: unknown;
  try {
    value = JSON.parse(Buffer.from(cursor, 'base64url').toString('utf8')) as unknown;
  } catch {
    value = undefined;
  }
  const accepted = value === undefined ? undefined : accept(value);
  if (accepted === undefined) throw new AppError('bad_request', 'invalid page cursor');
  return accepted;
}
