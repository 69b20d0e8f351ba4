import { BrokenCircuitError, IsolatedCircuitError } from 'cockatiel';
import { AppError, type BackendKind, type ChatRequest, type Heartbeat, type StreamEvent } from '@review-assistant/shared';
import { withFailover, CircuitOpenError, pickWorker } from './failover.js';
import { PoolMembers } from './pool-members.js';
import type { PooledWorker } from './pooled-worker.js';
import type { Release, SlotReservation } from './semaphore.js';
import { MemoryWorkerRegistry } from './registry/memory-worker-registry.js';
import type { WorkerRegistry } from './registry/worker-registry.js';
import { relayStream } from './relay.js';
import { SignedWorkerClient, type OpenedStream, type WorkerCallContext } from './signed-client.js';
import type { WorkerSnapshot } from './types.js';
import { WorkerCallError } from './worker-call-error.js';
import { createFetchTransport, createNodeHttpTransport, type WorkerTransport } from './worker-transport.js';
import { WorkerUrlPolicy } from './worker-url-policy.js';
import { WorkerReservation, type PoolAdmission } from './worker-reservation.js';

export type { WorkerCallContext } from './signed-client.js';

/** Options of the worker pool; every timeout is in milliseconds. */
export interface WorkerPoolOptions {
  /** Workers from `WORKER_URLS`; they never expire and are not in the registry. */
  staticUrls?: string[];
  /** HMAC secret for signing requests; unset: requests go unsigned (workers will refuse them). */
  secret?: string | undefined;
  /** Where heartbeat workers are registered. @default a `MemoryWorkerRegistry` on `now` */
  registry?: WorkerRegistry;
  /** Which URLs heartbeats may announce. @default https on the ngrok domains only */
  urlPolicy?: WorkerUrlPolicy;
  /**
   * Told when reading the registry starts failing (`error`) and when it works again (no argument),
   * once per change: while it fails the pool keeps its last view and static workers keep serving.
   */
  onRegistryHealth?: (error?: unknown) => void;
  /** How long a read of the registry is reused. @default 1000 */
  registryCacheMs?: number;
  /** How requests reach workers. @default node:http/https with keep-alive */
  transport?: WorkerTransport;
  /** Shortcut for `transport: createFetchTransport(fetch)`. */
  fetch?: typeof fetch;
  /** Time to response headers. @default 5000 */
  connectTimeoutMs?: number;
  /** Time to the first stream event (chat) or the whole body (JSON calls). @default 45000 */
  firstByteTimeoutMs?: number;
  /** Longest silence between two stream events. @default 30000 */
  idleTimeoutMs?: number;
  /** Overall budget of one worker request. @default 180000 */
  requestBudgetMs?: number;
  /** Concurrent requests per worker. @default 8 */
  concurrency?: number;
  /** Waiting requests per worker. @default 32 */
  maxQueue?: number;
  /** Longest wait for a slot on a worker before trying another (or answering `worker_busy`). @default 30000 */
  queueTimeoutMs?: number;
  /**
   * Events a chat stream may hold for a client that reads slower than the worker sends (estimated
   * bytes); beyond it the client is cut off. The worker's slot never waits for the client. @default 1048576
   */
  streamBufferBytes?: number;
  /** Consecutive failures that open a worker's breaker. @default 3 */
  breakerThreshold?: number;
  /** @default 10000 */
  breakerHalfOpenMs?: number;
  /** @default Date.now */
  now?: () => number;
}

/** An open chat stream on one worker; iterate `events` to the end or abort the context signal. */
export interface WorkerChatStream {
  workerId: string;
  events: AsyncGenerator<StreamEvent>;
}

export interface WorkerJsonResponse {
  workerId: string;
  body: unknown;
}

export interface PoolAvailability {
  /** Workers that are up (ready or not yet known bad). */
  up: number;
  /** Workers known to the pool at all. */
  known: number;
  /** Workers that reported (or proved) `ready`. */
  ready: number;
  backend: BackendKind | null;
}

const NO_WORKERS: ReadonlySet<PooledWorker> = new Set();

/** Ids of static workers (`static-1`, ...); heartbeats may not claim them. */
const RESERVED_ID_PREFIX = 'static-';

/**
 * The gateway's workers: static ones from `WORKER_URLS` and heartbeat ones from the registry.
 * Picks the least-loaded eligible worker, signs requests, retries once on another worker before
 * the first byte, never after, and keeps a circuit breaker and bounded slots per worker.
 */
export class WorkerPool {
  private readonly members: PoolMembers;
  private readonly registry: WorkerRegistry;
  private readonly client: SignedWorkerClient;
  private readonly now: () => number;
  private readonly urlPolicy: WorkerUrlPolicy;
  private readonly queueTimeoutMs: number;
  private readonly streamBufferBytes: number;
  private sweepTimer: NodeJS.Timeout | undefined;
  private registryFailing = false;
  private readonly onRegistryHealth: ((error?: unknown) => void) | undefined;

  constructor(options: WorkerPoolOptions = {}) {
    this.now = options.now ?? Date.now;
    this.registry = options.registry ?? new MemoryWorkerRegistry({ now: this.now });
    this.urlPolicy = options.urlPolicy ?? new WorkerUrlPolicy();
    this.queueTimeoutMs = options.queueTimeoutMs ?? 30_000;
    this.onRegistryHealth = options.onRegistryHealth;
    this.streamBufferBytes = options.streamBufferBytes ?? 1024 * 1024;
    this.client = new SignedWorkerClient({
      secret: options.secret,
      transport: options.transport ?? (options.fetch ? createFetchTransport(options.fetch) : createNodeHttpTransport()),
      limits: {
        connectMs: options.connectTimeoutMs ?? 5_000,
        firstByteMs: options.firstByteTimeoutMs ?? 45_000,
        idleMs: options.idleTimeoutMs ?? 30_000,
        budgetMs: options.requestBudgetMs ?? 180_000,
      },
    });
    const limits = {
      concurrency: options.concurrency ?? 8,
      maxQueue: options.maxQueue ?? 32,
      breakerThreshold: options.breakerThreshold ?? 3,
      breakerHalfOpenMs: options.breakerHalfOpenMs ?? 10_000,
    };
    this.members = new PoolMembers(options.staticUrls ?? [], this.registry, limits, this.now, options.registryCacheMs ?? 1_000);
  }

  /** Re-reads the registry in the background every `everyMs` (reads are also made on demand). */
  startSweeping(everyMs = 1000): void {
    this.stopSweeping();
    this.sweepTimer = setInterval(() => void this.watchRegistry(this.members.refreshIfStale()), everyMs);
    this.sweepTimer.unref();
  }

  stopSweeping(): void {
    if (this.sweepTimer) clearInterval(this.sweepTimer);
    this.sweepTimer = undefined;
  }

  /**
   * Registers or updates a worker from its (verified, parsed) heartbeat; a goodbye removes it for
   * every gateway. Throws a 4xx `AppError` naming the problem when the heartbeat is refused.
   */
  async applyHeartbeat(heartbeat: Heartbeat): Promise<{ registered: boolean; removed: boolean }> {
    if (heartbeat.workerId.startsWith(RESERVED_ID_PREFIX)) {
      throw new AppError('worker_id_taken', `worker ids starting with "${RESERVED_ID_PREFIX}" are reserved for WORKER_URLS`);
    }
    const url = this.urlPolicy.check(heartbeat.url);
    const { goodbye, ...announced } = heartbeat;
    if (goodbye) {
      const removed = await this.registry.remove(heartbeat.workerId, url);
      return { registered: false, removed: this.members.goodbye(heartbeat.workerId, url).removed || removed };
    }
    const outcome = await this.registry.upsert({ ...announced, url }, this.now());
    if (!outcome.accepted) throw new AppError(outcome.reason, outcome.message);
    const { added } = this.members.apply(outcome.worker);
    return { registered: added, removed: false };
  }

  snapshot(): WorkerSnapshot[] {
    this.refreshInBackground();
    return this.members.list().map((worker) => worker.snapshot());
  }

  availability(): PoolAvailability {
    this.refreshInBackground();
    const all = this.members.list();
    const up = all.filter((worker) => worker.up);
    const ready = up.filter((worker) => worker.state === 'ready');
    const best = [...ready, ...up].find((worker) => worker.backend !== null);
    return { up: up.length, known: all.length, ready: ready.length, backend: best?.backend ?? null };
  }

  /**
   * Admits a chat turn by reserving, synchronously, a slot or a queue place on the worker
   * `openChat` would try first (the least-loaded eligible one), so turns arriving in the same
   * instant cannot all pass a check and then find no room. `busy` when every worker that accepts
   * requests is full (the chat routes shed the turn with 503 `worker_busy` before any stream opens);
   * `no-worker` when none could be tried (e.g. before the registry was first read). Hand the
   * reservation to `openChat`, or release it.
   */
  admit(): PoolAdmission {
    const all = this.members.list();
    const worker = pickWorker(all, NO_WORKERS);
    const slot = worker?.slots.reserve();
    if (worker && slot) return { kind: 'reserved', reservation: new WorkerReservation(worker, slot) };
    return all.some((candidate) => candidate.slots.full) ? { kind: 'busy' } : { kind: 'no-worker' };
  }

  /** Reads the registry now (tests, and after start-up). */
  refresh(): Promise<void> {
    return this.members.refresh();
  }

  /**
   * Asks each static worker once for `GET /v1/health` (at start-up: static workers send no
   * heartbeats unless they also know GATEWAY_URL), so the status badge is right from the start.
   */
  async probeStaticWorkers(requestId = 'startup-probe'): Promise<void> {
    const statics = this.members.list().filter((worker) => worker.source === 'static');
    await Promise.all(
      statics.map(async (worker) => {
        try {
          const health = await this.client.health(worker, requestId);
          worker.backend = health.backend;
          worker.models = health.models;
          worker.state = health.status;
          worker.lastError = null;
        } catch (error) {
          worker.recordFailure(`health probe failed: ${error instanceof Error ? error.message : String(error)}`);
        }
      }),
    );
  }

  /**
   * Opens a chat stream on the least-loaded worker (first on the `reservation`'s worker, when it
   * still accepts requests), retrying once elsewhere before the first event. The reservation's slot
   * goes to the stream (freed when the worker's stream ends); on failure it has been released.
   */
  async openChat(request: ChatRequest, context: WorkerCallContext, reservation?: WorkerReservation): Promise<WorkerChatStream> {
    try {
      const body = JSON.stringify(request);
      await this.refreshQuietly();
      const reserved = reservation && reservation.worker.accepting && this.members.list().includes(reservation.worker) ? reservation : undefined;
      if (!reserved) reservation?.release();
      return await withFailover(
        () => this.members.list(),
        context.signal,
        (worker) => this.openChatOn(worker, body, context, worker === reserved?.worker ? reserved.slot : undefined),
        reserved?.worker,
      );
    } catch (error) {
      reservation?.release();
      throw error;
    }
  }

  /** A JSON call (`/v1/embed`, `/v1/retrieve`, `/v1/generate`) on the least-loaded worker, with one failover. */
  async callJson(path: string, payload: unknown, context: WorkerCallContext): Promise<WorkerJsonResponse> {
    const body = JSON.stringify(payload);
    await this.refreshQuietly();
    return withFailover(() => this.members.list(), context.signal, async (worker) => {
      const release = await this.acquire(worker, context.signal);
      try {
        const value = await worker.breaker.execute(() => this.client.fetchJson(worker, path, body, context));
        worker.recordSuccess();
        return { workerId: worker.id, body: value };
      } catch (error) {
        throw this.noteFailure(worker, error, context);
      } finally {
        release();
      }
    });
  }

  private async openChatOn(worker: PooledWorker, body: string, context: WorkerCallContext, reserved: SlotReservation | undefined): Promise<WorkerChatStream> {
    const release = await this.acquire(worker, context.signal, reserved);
    let opened: OpenedStream;
    try {
      opened = await worker.breaker.execute(() => this.client.openChat(worker, body, context));
    } catch (error) {
      release();
      throw this.noteFailure(worker, error, context);
    }
    worker.recordSuccess();
    return {
      workerId: worker.id,
      events: relayStream(opened, {
        workerId: worker.id,
        signal: context.signal,
        maxBufferedBytes: this.streamBufferBytes,
        onBroken: (failure) => this.recordStreamFailure(worker, failure),
        release,
      }),
    };
  }

  /** A slot on `worker`: the one `reserved` at admission (waiting in the queue if need be), else a new one. */
  private async acquire(worker: PooledWorker, signal: AbortSignal | undefined, reserved?: SlotReservation): Promise<Release> {
    try {
      if (!reserved) return await worker.slots.acquire(signal, this.queueTimeoutMs);
      await reserved.slot(signal, this.queueTimeoutMs);
      return () => reserved.release();
    } catch (error) {
      if (signal?.aborted) throw new AppError('cancelled', 'the request was cancelled');
      throw error instanceof AppError ? error : new AppError('worker_busy', `worker ${worker.id} is busy`);
    }
  }

  private noteFailure(worker: PooledWorker, error: unknown, context: WorkerCallContext): unknown {
    if (context.signal?.aborted) return new AppError('cancelled', 'the request was cancelled', { cause: error });
    if (error instanceof BrokenCircuitError || error instanceof IsolatedCircuitError) return new CircuitOpenError(worker.id);
    if (error instanceof WorkerCallError && error.countsForBreaker) worker.recordFailure(error.message);
    return error;
  }

  /** A stream that broke after its first event counts against the worker's breaker too. */
  private recordStreamFailure(worker: PooledWorker, failure: AppError): void {
    worker.recordFailure(failure.message);
    worker.breaker
      .execute(() => {
        throw failure instanceof WorkerCallError ? failure : new WorkerCallError(failure.code, failure.message);
      })
      .catch(() => undefined);
  }

  /** A registry that cannot be read leaves the last view in place (static workers keep working). */
  private refreshQuietly(): Promise<void> {
    return this.watchRegistry(this.members.refreshIfStale());
  }

  private async watchRegistry(read: Promise<void>): Promise<void> {
    try {
      await read;
      if (this.registryFailing) {
        this.registryFailing = false;
        this.onRegistryHealth?.();
      }
    } catch (error) {
      if (!this.registryFailing) {
        this.registryFailing = true;
        this.onRegistryHealth?.(error);
      }
    }
  }

  private refreshInBackground(): void {
    void this.refreshQuietly();
  }
}
