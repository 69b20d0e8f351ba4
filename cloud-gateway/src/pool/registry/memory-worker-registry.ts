import {
  DEFAULT_MAX_WORKERS,
  DEFAULT_MISSED_HEARTBEATS,
  expiryOf,
  type AnnouncedWorker,
  type RegisteredWorker,
  type UpsertOutcome,
  type WorkerRegistry,
  type WorkerRegistryOptions,
} from './worker-registry.js';

/** The registry of one gateway process: a map in memory, lost at restart (workers re-announce within one interval). */
export class MemoryWorkerRegistry implements WorkerRegistry {
  readonly provider = 'memory';
  private readonly entries = new Map<string, RegisteredWorker>();
  private readonly missedHeartbeats: number;
  private readonly maxWorkers: number;
  private readonly now: () => number;

  constructor(options: WorkerRegistryOptions = {}) {
    this.missedHeartbeats = options.missedHeartbeats ?? DEFAULT_MISSED_HEARTBEATS;
    this.maxWorkers = options.maxWorkers ?? DEFAULT_MAX_WORKERS;
    this.now = options.now ?? Date.now;
  }

  async upsert(heartbeat: AnnouncedWorker, receivedAtMs: number): Promise<UpsertOutcome> {
    this.dropExpired();
    const existing = this.entries.get(heartbeat.workerId);
    if (existing && existing.url !== heartbeat.url) {
      return {
        accepted: false,
        reason: 'worker_id_taken',
        message: `worker id ${heartbeat.workerId} is bound to another URL until ${new Date(existing.expiresAtMs).toISOString()}`,
      };
    }
    if (!existing && this.entries.size >= this.maxWorkers) {
      return { accepted: false, reason: 'too_many_workers', message: `the gateway accepts at most ${this.maxWorkers} heartbeat workers` };
    }
    const worker: RegisteredWorker = { ...heartbeat, receivedAtMs, expiresAtMs: expiryOf(heartbeat, receivedAtMs, this.missedHeartbeats) };
    this.entries.set(worker.workerId, worker);
    return { accepted: true, created: existing === undefined, worker };
  }

  async remove(workerId: string, url?: string): Promise<boolean> {
    const existing = this.entries.get(workerId);
    if (!existing || (url !== undefined && existing.url !== url)) return false;
    return this.entries.delete(workerId);
  }

  async list(): Promise<RegisteredWorker[]> {
    this.dropExpired();
    return [...this.entries.values()];
  }

  async close(): Promise<void> {}

  private dropExpired(): void {
    const now = this.now();
    for (const [id, entry] of this.entries) if (entry.expiresAtMs < now) this.entries.delete(id);
  }
}
