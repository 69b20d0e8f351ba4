import {
  CircuitState,
  ConsecutiveBreaker,
  circuitBreaker,
  handleWhen,
  type CircuitBreakerPolicy,
} from 'cockatiel';
import type { BackendKind, ModelStatus } from '@review-assistant/shared';
import type { RegisteredWorker } from './registry/worker-registry.js';
import { Semaphore } from './semaphore.js';
import type { BreakerState, WorkerHealthState, WorkerSnapshot, WorkerSource } from './types.js';
import { isWorkerHealthFailure } from './worker-call-error.js';

export interface PooledWorkerLimits {
  concurrency: number;
  maxQueue: number;
  breakerThreshold: number;
  breakerHalfOpenMs: number;
}

const breakerStateNames: Record<CircuitState, BreakerState> = {
  [CircuitState.Closed]: 'closed',
  [CircuitState.Open]: 'open',
  [CircuitState.HalfOpen]: 'half-open',
  [CircuitState.Isolated]: 'isolated',
};

/** One worker known to the pool: what it reported, what calls taught us, its breaker and slots. */
export class PooledWorker {
  state: WorkerHealthState = 'unknown';
  backend: BackendKind | null = null;
  models: ModelStatus[] = [];
  lastHeartbeatAtMs: number | null = null;
  /** When the last heartbeat stops counting (epoch ms); null without heartbeats. */
  expiresAtMs: number | null = null;
  lastError: string | null = null;
  readonly slots: Semaphore;
  readonly breaker: CircuitBreakerPolicy;

  constructor(
    readonly id: string,
    public url: string,
    readonly source: WorkerSource,
    limits: PooledWorkerLimits,
  ) {
    this.slots = new Semaphore(limits.concurrency, limits.maxQueue);
    this.breaker = circuitBreaker(handleWhen(isWorkerHealthFailure), {
      halfOpenAfter: limits.breakerHalfOpenMs,
      breaker: new ConsecutiveBreaker(limits.breakerThreshold),
    });
  }

  get breakerState(): BreakerState {
    return breakerStateNames[this.breaker.state];
  }

  /** Share of this worker's slots in use or queued for; the pool picks the lowest. */
  get load(): number {
    return (this.slots.active + this.slots.queued) / this.slots.limit;
  }

  /** Whether requests may be sent here at all, room aside (an open breaker still decides whether to probe). */
  get accepting(): boolean {
    return this.breaker.state !== CircuitState.Isolated && this.state !== 'stopping';
  }

  /** Whether a new request may be tried here: it accepts requests and has a slot or a queue place free. */
  get eligible(): boolean {
    return this.accepting && !this.slots.full;
  }

  /** Counts as "up" for the status badge and metrics. */
  get up(): boolean {
    return this.state !== 'stopping' && this.state !== 'degraded' && this.breaker.state === CircuitState.Closed;
  }

  /** Takes what the worker announced in its latest heartbeat (read back from the registry). */
  applyReport(entry: RegisteredWorker): void {
    // Registry reads repeat the same entry until the next heartbeat: only a new heartbeat may
    // overwrite what calls taught us since (a `degraded` state after a failure).
    if (entry.receivedAtMs === this.lastHeartbeatAtMs && entry.url === this.url) return;
    this.url = entry.url;
    this.backend = entry.backend;
    this.models = entry.models;
    this.state = entry.state;
    this.lastHeartbeatAtMs = entry.receivedAtMs;
    this.expiresAtMs = entry.expiresAtMs;
  }

  /** Forgets the heartbeat report (a static worker whose heartbeats stopped). */
  clearReport(): void {
    this.lastHeartbeatAtMs = null;
    this.expiresAtMs = null;
    this.state = 'unknown';
  }

  /** The worker said goodbye: no new requests until it announces itself again. */
  markStopping(): void {
    this.state = 'stopping';
  }

  recordSuccess(): void {
    this.lastError = null;
    if (this.state === 'unknown' || this.state === 'degraded') this.state = 'ready';
  }

  recordFailure(message: string): void {
    this.lastError = message;
    if (this.state !== 'stopping') this.state = 'degraded';
  }

  snapshot(): WorkerSnapshot {
    return {
      id: this.id,
      url: this.url,
      source: this.source,
      state: this.state,
      breaker: this.breakerState,
      up: this.up,
      active: this.slots.active,
      queue: this.slots.queued,
      capacity: this.slots.limit,
      backend: this.backend,
      models: this.models,
      lastHeartbeatAt: this.lastHeartbeatAtMs === null ? null : new Date(this.lastHeartbeatAtMs).toISOString(),
      lastError: this.lastError,
    };
  }
}
