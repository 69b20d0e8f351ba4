import type { InteractionRecord } from './interaction-record.js';

/** Where interaction records go. Appends never throw into a chat: callers log and move on. */
export interface LogStore {
  /** e.g. `local`, `dynamodb` */
  readonly provider: string;
  append(record: InteractionRecord): Promise<void>;
  /** Flushes pending writes. */
  close(): Promise<void>;
}
