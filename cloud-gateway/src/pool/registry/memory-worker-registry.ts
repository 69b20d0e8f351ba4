import {
  expiryOf,
  registrySettings,
  tooManyWorkers,
  workerIdTaken,
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
    ({ missedHeartbeats: this.missedHeartbeats, maxWorkers: this.maxWorkers, now: this.now } = registrySettings(options));
  }

  async upsert(heartbeat: AnnouncedWorker, receivedAtMs: number): Promise<UpsertOutcome> {
    this.dropExpired();
    const existing = this.entries.get(heartbeat.workerId);
    if (existing && existing.url !== heartbeat.url) {
      return workerIdTaken(heartbeat.workerId, existing);
    }
    if (!existing && this.entries.size >= this.maxWorkers) {
      return tooManyWorkers(this.maxWorkers);
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
