import type { Heartbeat } from '@review-assistant/shared';

/** What a worker last announced, as every gateway reads it back from the registry. */
export type AnnouncedWorker = Omit<Heartbeat, 'goodbye'>;

/** One registry entry: the worker's last heartbeat and when it was received and expires. */
export interface RegisteredWorker extends AnnouncedWorker {
  /** When a gateway received the heartbeat that wrote this entry (epoch ms). */
  receivedAtMs: number;
  /**
   * When the entry stops counting (epoch ms): `receivedAtMs` plus `missedHeartbeats` intervals.
   * Until then the worker id stays bound to `url`.
   */
  expiresAtMs: number;
}

/** Why the registry refused a heartbeat. */
export type UpsertRejection =
  /** The id is bound to another URL by an entry that has not expired yet. */
  | 'worker_id_taken'
  /** The registry already holds `maxWorkers` unexpired entries and this id is not one of them. */
  | 'too_many_workers';

/** Result of `WorkerRegistry.upsert`. */
export type UpsertOutcome =
  | { accepted: true; /** True when no unexpired entry existed for this id. */ created: boolean; worker: RegisteredWorker }
  | { accepted: false; reason: UpsertRejection; /** Names the problem; safe to return to the worker. */ message: string };

/**
 * Where heartbeat workers are registered: the one view of them that every gateway shares.
 *
 * Static workers (`WORKER_URLS`) are not in the registry. Each gateway reads `list()` through a
 * short cache and keeps its own circuit breakers and in-flight counts: only what the workers
 * announce is shared. Adapters: `MemoryWorkerRegistry` (one gateway, the default) and a DynamoDB
 * adapter (`WORKER_REGISTRY=dynamodb`, table `WORKER_REGISTRY_TABLE`) for several gateways behind
 * a load balancer; `createWorkerRegistry` picks one.
 *
 * Contract every adapter keeps:
 * - `upsert` is atomic per id: an id stays bound to the URL of its first accepted heartbeat until
 *   its entry expires (DynamoDB: a conditional write on `url = :url OR expiresAt < :now OR
 *   attribute_not_exists(id)`); a heartbeat for the same id with another URL is rejected with
 *   `worker_id_taken` and changes nothing.
 * - an entry expires `missedHeartbeats` × `intervalSeconds` after `receivedAtMs`; `list()` never
 *   returns an expired entry, whether or not it was deleted yet (DynamoDB TTL deletes late).
 * - at most `maxWorkers` unexpired entries: a heartbeat for a new id beyond that is rejected with
 *   `too_many_workers` (an adapter over a shared store may check this against a recent count).
 */
export interface WorkerRegistry {
  /** Backend name for logs and the admin page (`memory`, `dynamodb`). */
  readonly provider: string;
  /**
   * Records a heartbeat received at `receivedAtMs` (epoch ms). `heartbeat.url` is stored as given:
   * the caller has validated and normalized it. A `goodbye` heartbeat is not an upsert: call `remove`.
   */
  upsert(heartbeat: AnnouncedWorker, receivedAtMs: number): Promise<UpsertOutcome>;
  /**
   * Removes a worker for every gateway (its goodbye). With `url`, only an entry bound to that URL
   * is removed. Resolves `true` when an entry was removed.
   */
  remove(workerId: string, url?: string): Promise<boolean>;
  /** Every unexpired entry, in no particular order. */
  list(): Promise<RegisteredWorker[]>;
  /** Releases connections or timers (idempotent). */
  close(): Promise<void>;
}

/** Options every adapter takes. */
export interface WorkerRegistryOptions {
  /** An entry expires after this many heartbeat intervals without a heartbeat. @default 3 */
  missedHeartbeats?: number;
  /** Most unexpired entries the registry accepts. @default 16 */
  maxWorkers?: number;
  /** Clock (epoch ms) used to decide expiry. @default Date.now */
  now?: () => number;
}

export const DEFAULT_MISSED_HEARTBEATS = 3;
export const DEFAULT_MAX_WORKERS = 16;

/** The options with every default applied (the settings each adapter keeps). */
export function registrySettings(options: WorkerRegistryOptions): Required<WorkerRegistryOptions> {
  return {
    missedHeartbeats: options.missedHeartbeats ?? DEFAULT_MISSED_HEARTBEATS,
    maxWorkers: options.maxWorkers ?? DEFAULT_MAX_WORKERS,
    now: options.now ?? Date.now,
  };
}

/** The rejection of a heartbeat whose id is bound to another URL by `existing` until it expires. */
export function workerIdTaken(workerId: string, existing: Pick<RegisteredWorker, 'expiresAtMs'>): UpsertOutcome {
  return {
    accepted: false,
    reason: 'worker_id_taken',
    message: `worker id ${workerId} is bound to another URL until ${new Date(existing.expiresAtMs).toISOString()}`,
  };
}

/** The rejection of a heartbeat for a new id when the registry holds `maxWorkers` entries. */
export function tooManyWorkers(maxWorkers: number): UpsertOutcome {
  return { accepted: false, reason: 'too_many_workers', message: `the gateway accepts at most ${maxWorkers} heartbeat workers` };
}

/** The expiry of an entry written from a heartbeat received at `receivedAtMs`. */
export function expiryOf(heartbeat: Pick<AnnouncedWorker, 'intervalSeconds'>, receivedAtMs: number, missedHeartbeats: number): number {
  return receivedAtMs + heartbeat.intervalSeconds * 1000 * missedHeartbeats;
}
