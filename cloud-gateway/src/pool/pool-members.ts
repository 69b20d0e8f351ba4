import { PooledWorker, type PooledWorkerLimits } from './pooled-worker.js';
import type { RegisteredWorker, WorkerRegistry } from './registry/worker-registry.js';

/**
 * This gateway's view of its workers: the static ones (`WORKER_URLS`, ids `static-N`) and the
 * registry's heartbeat workers, each with this gateway's own breaker and slots. The registry is
 * read through a short cache (`refreshIfStale`); changes this gateway makes itself are applied at
 * once. A registry entry whose URL is a static worker's URL updates that static entry: a worker
 * reachable both ways counts once.
 */
export class PoolMembers {
  private readonly workers = new Map<string, PooledWorker>();
  private readonly staticByUrl = new Map<string, PooledWorker>();
  private refreshedAtMs = Number.NEGATIVE_INFINITY;
  private refreshing: Promise<void> | undefined;

  constructor(
    staticUrls: string[],
    private readonly registry: WorkerRegistry,
    private readonly limits: PooledWorkerLimits,
    private readonly now: () => number,
    private readonly cacheMs: number,
  ) {
    for (const [index, url] of staticUrls.entries()) {
      const worker = new PooledWorker(`static-${index + 1}`, normalizeWorkerUrl(url), 'static', limits);
      this.workers.set(worker.id, worker);
      this.staticByUrl.set(worker.url, worker);
    }
  }

  /** Every worker known now (expired heartbeat entries dropped first). */
  list(): PooledWorker[] {
    this.expire();
    return [...this.workers.values()];
  }

  /** Reads the registry again unless the last read is younger than the cache time. */
  refreshIfStale(): Promise<void> {
    if (this.now() - this.refreshedAtMs < this.cacheMs) return Promise.resolve();
    return this.refresh();
  }

  /** Reads the registry and reconciles the view with it (one read at a time). */
  refresh(): Promise<void> {
    this.refreshing ??= (async () => {
      try {
        const entries = await this.registry.list();
        this.reconcile(entries);
        this.refreshedAtMs = this.now();
      } finally {
        this.refreshing = undefined;
      }
    })();
    return this.refreshing;
  }

  /** Applies an entry this gateway just wrote; returns the worker that now carries it. */
  apply(entry: RegisteredWorker): { worker: PooledWorker; added: boolean } {
    const static_ = this.staticByUrl.get(entry.url);
    if (static_) {
      static_.applyReport(entry);
      return { worker: static_, added: false };
    }
    let worker = this.workers.get(entry.workerId);
    let added = false;
    if (!worker || worker.source === 'static' || worker.url !== entry.url) {
      // A new id, or an id re-bound to another URL after its entry expired: a fresh breaker.
      worker = new PooledWorker(entry.workerId, entry.url, 'heartbeat', this.limits);
      this.workers.set(worker.id, worker);
      added = true;
    }
    worker.applyReport(entry);
    return { worker, added };
  }

  /** A goodbye this gateway received: drops the heartbeat worker, or marks the static one stopping. */
  goodbye(workerId: string, url: string): { removed: boolean } {
    const static_ = this.staticByUrl.get(url);
    if (static_) {
      static_.markStopping();
      return { removed: false };
    }
    const worker = this.workers.get(workerId);
    if (worker?.source !== 'heartbeat' || worker.url !== url) return { removed: false };
    this.workers.delete(workerId);
    return { removed: true };
  }

  private reconcile(entries: RegisteredWorker[]): void {
    const seen = new Set<PooledWorker>();
    for (const entry of entries) seen.add(this.apply(entry).worker);
    for (const worker of this.workers.values()) {
      if (seen.has(worker)) continue;
      if (worker.source === 'heartbeat') this.workers.delete(worker.id);
      // A static worker's goodbye keeps it `stopping` until its last heartbeat expires.
      else if (worker.expiresAtMs !== null && worker.state !== 'stopping') worker.clearReport();
    }
  }

  /** Lazy expiry between registry reads, so a silent worker never outlives its entry here. */
  private expire(): void {
    const now = this.now();
    for (const worker of this.workers.values()) {
      if (worker.expiresAtMs === null || now <= worker.expiresAtMs) continue;
      if (worker.source === 'heartbeat') this.workers.delete(worker.id);
      else worker.clearReport();
    }
  }
}

/** The form in which worker URLs are compared and stored: WHATWG-normalized, no trailing slash. */
export function normalizeWorkerUrl(url: string): string {
  return new URL(url).href.replace(/\/+$/, '');
}
