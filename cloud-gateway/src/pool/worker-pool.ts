import { BrokenCircuitError, IsolatedCircuitError } from 'cockatiel';
import {
  AppError,
  signRequest,
  type BackendKind,
  type ChatRequest,
  type Heartbeat,
  type StreamEvent,
  WorkerHealthSchema,
} from '@review-assistant/shared';
import { PooledWorker } from './pooled-worker.js';
import type { WorkerSnapshot } from './types.js';
import { WorkerCallError } from './worker-call-error.js';
import { errorFromResponse, readStreamEvents, toWorkerError } from './worker-stream.js';
import { createFetchTransport, createNodeHttpTransport, type WorkerResponse, type WorkerTransport } from './worker-transport.js';

/** Options of the worker pool; every timeout is in milliseconds. */
export interface WorkerPoolOptions {
  /** Workers from `WORKER_URLS`; they never expire. */
  staticUrls?: string[];
  /** HMAC secret for signing requests; unset: requests go unsigned (workers will refuse them). */
  secret?: string | undefined;
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
  /** Consecutive failures that open a worker's breaker. @default 3 */
  breakerThreshold?: number;
  /** @default 10000 */
  breakerHalfOpenMs?: number;
  /** Heartbeat workers expire after this many missed intervals. @default 3 */
  missedHeartbeats?: number;
  /** @default Date.now */
  now?: () => number;
}

/** Per-request context: id forwarded to the worker, cancellation, and the predicted intent. */
export interface WorkerCallContext {
  requestId: string;
  signal?: AbortSignal;
  /** Sent as `X-Intent` so the worker (and its inspector) can see the gateway's decision. */
  intent?: string;
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

/**
 * The gateway's view of its workers: static ones from `WORKER_URLS` and ones announced by
 * heartbeat. Picks the least-loaded eligible worker, signs requests, retries once on another worker
 * before the first byte, never after, and keeps a circuit breaker and bounded slots per worker.
 */
export class WorkerPool {
  private readonly workers = new Map<string, PooledWorker>();
  private readonly options: Required<Omit<WorkerPoolOptions, 'secret' | 'staticUrls' | 'fetch'>> & { secret: string | undefined };
  private sweepTimer: NodeJS.Timeout | undefined;

  constructor(options: WorkerPoolOptions = {}) {
    this.options = {
      secret: options.secret,
      transport: options.transport ?? (options.fetch ? createFetchTransport(options.fetch) : createNodeHttpTransport()),
      connectTimeoutMs: options.connectTimeoutMs ?? 5_000,
      firstByteTimeoutMs: options.firstByteTimeoutMs ?? 45_000,
      idleTimeoutMs: options.idleTimeoutMs ?? 30_000,
      requestBudgetMs: options.requestBudgetMs ?? 180_000,
      concurrency: options.concurrency ?? 8,
      maxQueue: options.maxQueue ?? 32,
      breakerThreshold: options.breakerThreshold ?? 3,
      breakerHalfOpenMs: options.breakerHalfOpenMs ?? 10_000,
      missedHeartbeats: options.missedHeartbeats ?? 3,
      now: options.now ?? Date.now,
    };
    for (const [index, url] of (options.staticUrls ?? []).entries()) {
      const id = `static-${index + 1}`;
      this.workers.set(id, this.newWorker(id, url.replace(/\/+$/, ''), 'static'));
    }
  }

  /** Starts the background sweep that expires silent workers (expiry is also checked lazily). */
  startSweeping(everyMs = 1000): void {
    this.stopSweeping();
    this.sweepTimer = setInterval(() => this.expireSilentWorkers(), everyMs);
    this.sweepTimer.unref();
  }

  stopSweeping(): void {
    if (this.sweepTimer) clearInterval(this.sweepTimer);
    this.sweepTimer = undefined;
  }

  /** Registers or updates a worker from its heartbeat; a goodbye removes it at once. */
  applyHeartbeat(heartbeat: Heartbeat): { registered: boolean; removed: boolean } {
    const url = heartbeat.url.replace(/\/+$/, '');
    const now = this.options.now();
    let worker = this.workers.get(heartbeat.workerId);
    if (!worker) {
      // A static worker announcing itself: keep one entry (and its breaker) for that URL.
      worker = [...this.workers.values()].find((candidate) => candidate.source === 'static' && candidate.url === url);
    }
    if (heartbeat.goodbye) {
      if (worker?.source === 'heartbeat') {
        this.workers.delete(worker.id);
        return { registered: false, removed: true };
      }
      worker?.applyHeartbeat({ ...heartbeat, url }, now);
      return { registered: false, removed: false };
    }
    const registered = worker === undefined;
    if (!worker) {
      worker = this.newWorker(heartbeat.workerId, url, 'heartbeat');
      this.workers.set(worker.id, worker);
    }
    worker.applyHeartbeat({ ...heartbeat, url }, now);
    return { registered, removed: false };
  }

  /** Removes heartbeat workers silent for `missedHeartbeats` intervals; static ones fall back to unknown. */
  expireSilentWorkers(): string[] {
    const now = this.options.now();
    const expired: string[] = [];
    for (const worker of this.workers.values()) {
      if (worker.lastHeartbeatAtMs === null || worker.intervalSeconds === null) continue;
      const deadline = worker.lastHeartbeatAtMs + worker.intervalSeconds * 1000 * this.options.missedHeartbeats;
      if (now <= deadline) continue;
      if (worker.source === 'heartbeat') {
        this.workers.delete(worker.id);
        expired.push(worker.id);
      } else {
        worker.lastHeartbeatAtMs = null;
        worker.intervalSeconds = null;
        worker.state = 'unknown';
      }
    }
    return expired;
  }

  snapshot(): WorkerSnapshot[] {
    this.expireSilentWorkers();
    return [...this.workers.values()].map((worker) => worker.snapshot());
  }

  availability(): PoolAvailability {
    this.expireSilentWorkers();
    const all = [...this.workers.values()];
    const up = all.filter((worker) => worker.up);
    const ready = up.filter((worker) => worker.state === 'ready');
    const best = [...ready, ...up].find((worker) => worker.backend !== null);
    return { up: up.length, known: all.length, ready: ready.length, backend: best?.backend ?? null };
  }

  /**
   * Asks each static worker once for `GET /v1/health` (at start-up: static workers send no
   * heartbeats unless they also know GATEWAY_URL), so the status badge is right from the start.
   */
  async probeStaticWorkers(requestId = 'startup-probe'): Promise<void> {
    const statics = [...this.workers.values()].filter((worker) => worker.source === 'static');
    await Promise.all(
      statics.map(async (worker) => {
        try {
          const response = await this.send(worker, '/v1/health', 'GET', undefined, { 'x-request-id': requestId }, AbortSignal.timeout(this.options.connectTimeoutMs));
          if (!isOk(response)) throw await errorFromResponse(response, worker.id);
          const health = WorkerHealthSchema.safeParse(JSON.parse(await response.text()));
          if (!health.success) throw new Error('unexpected /v1/health body');
          worker.backend = health.data.backend;
          worker.models = health.data.models;
          worker.state = health.data.status;
          worker.lastError = null;
        } catch (error) {
          worker.recordFailure(`health probe failed: ${error instanceof Error ? error.message : String(error)}`);
        }
      }),
    );
  }

  /** Opens a chat stream on the least-loaded worker, retrying once elsewhere before the first event. */
  async openChat(request: ChatRequest, context: WorkerCallContext): Promise<WorkerChatStream> {
    const body = JSON.stringify(request);
    return this.withFailover(context, async (worker) => this.openChatOn(worker, body, context));
  }

  /** A JSON call (`/v1/embed`, `/v1/retrieve`, `/v1/generate`) on the least-loaded worker, with one failover. */
  async callJson(path: string, payload: unknown, context: WorkerCallContext): Promise<WorkerJsonResponse> {
    const body = JSON.stringify(payload);
    return this.withFailover(context, async (worker) => {
      const release = await this.acquire(worker, context.signal);
      try {
        const value = await worker.breaker.execute(() => this.fetchJson(worker, path, body, context));
        worker.recordSuccess();
        return { workerId: worker.id, body: value };
      } catch (error) {
        throw this.noteFailure(worker, error);
      } finally {
        release();
      }
    });
  }

  private newWorker(id: string, url: string, source: 'static' | 'heartbeat'): PooledWorker {
    return new PooledWorker(id, url, source, {
      concurrency: this.options.concurrency,
      maxQueue: this.options.maxQueue,
      breakerThreshold: this.options.breakerThreshold,
      breakerHalfOpenMs: this.options.breakerHalfOpenMs,
    });
  }

  private pick(tried: Set<PooledWorker>): PooledWorker | undefined {
    this.expireSilentWorkers();
    let best: PooledWorker | undefined;
    for (const worker of this.workers.values()) {
      if (tried.has(worker) || !worker.eligible) continue;
      if (!best || rank(worker) < rank(best)) best = worker;
    }
    return best;
  }

  private async withFailover<T>(context: WorkerCallContext, run: (worker: PooledWorker) => Promise<T>): Promise<T> {
    const tried = new Set<PooledWorker>();
    let lastError: unknown;
    let attempts = 0;
    while (attempts < 2) {
      const worker = this.pick(tried);
      if (!worker) break;
      tried.add(worker);
      try {
        return await run(worker);
      } catch (error) {
        if (context.signal?.aborted) throw new AppError('cancelled', 'the request was cancelled', { cause: error });
        lastError = error;
        if (!(error instanceof AppError) || !error.isRetryable) throw error;
        // An open circuit rejects without touching the network, so it does not use up the retry.
        if (!(error instanceof CircuitOpenError)) attempts += 1;
      }
    }
    if (lastError !== undefined && !(lastError instanceof CircuitOpenError)) throw lastError;
    const known = this.workers.size;
    if (known > 0 && [...this.workers.values()].some((worker) => worker.slots.full)) {
      throw new AppError('worker_busy', 'every worker is busy; try again in a moment');
    }
    throw new AppError(
      'no_worker',
      known === 0
        ? 'no worker is connected right now; small talk and intent prediction still work'
        : 'no worker is available right now (all are failing or shutting down); try again shortly',
    );
  }

  private async acquire(worker: PooledWorker, signal: AbortSignal | undefined) {
    try {
      return await worker.slots.acquire(signal);
    } catch (error) {
      if (signal?.aborted) throw new AppError('cancelled', 'the request was cancelled');
      throw error instanceof AppError ? error : new AppError('worker_busy', `worker ${worker.id} is busy`);
    }
  }

  private noteFailure(worker: PooledWorker, error: unknown): unknown {
    if (error instanceof BrokenCircuitError || error instanceof IsolatedCircuitError) {
      return new CircuitOpenError(worker.id);
    }
    if (error instanceof WorkerCallError && error.countsForBreaker) worker.recordFailure(error.message);
    return error;
  }

  /**
   * Sends one request to a worker, signed with the shared secret (DESIGN.md "Request signing").
   * `signRequest` is called directly because method, path and body are known here, which spares
   * `createSignedFetch`'s extra Request object per call.
   */
  private send(worker: PooledWorker, path: string, method: 'GET' | 'POST', body: string | undefined, headers: Record<string, string>, signal: AbortSignal): Promise<WorkerResponse> {
    const url = `${worker.url}${path}`;
    const signature = this.options.secret ? signRequest({ secret: this.options.secret, method, path: new URL(url).pathname, body }) : {};
    return this.options.transport(url, { method, headers: { ...headers, ...signature }, signal, body });
  }

  private headers(context: WorkerCallContext): Record<string, string> {
    return {
      'content-type': 'application/json',
      'x-request-id': context.requestId,
      ...(context.intent === undefined ? {} : { 'x-intent': context.intent }),
    };
  }

  private async fetchJson(worker: PooledWorker, path: string, body: string, context: WorkerCallContext): Promise<unknown> {
    const controller = new AbortController();
    const unlink = linkAbort(context.signal, controller);
    const signal = controller.signal;
    const timer = setTimeout(
      () => controller.abort(new WorkerCallError('worker_timeout', `worker ${worker.id} did not answer within ${this.options.firstByteTimeoutMs} ms`, { workerId: worker.id, retryable: true })),
      Math.min(this.options.firstByteTimeoutMs, this.options.requestBudgetMs),
    );
    try {
      const response = await this.send(worker, path, 'POST', body, this.headers(context), signal);
      if (!isOk(response)) throw await errorFromResponse(response, worker.id);
      const text = await response.text();
      try {
        return JSON.parse(text) as unknown;
      } catch (cause) {
        throw new WorkerCallError('worker_unavailable', `worker ${worker.id} sent a body that is not JSON`, { workerId: worker.id, cause });
      }
    } catch (error) {
      if (context.signal?.aborted) throw new AppError('cancelled', 'the request was cancelled');
      throw toWorkerError(error, controller.signal.reason, worker.id, 'connect');
    } finally {
      clearTimeout(timer);
      unlink();
    }
  }

  private async openChatOn(worker: PooledWorker, body: string, context: WorkerCallContext): Promise<WorkerChatStream> {
    const release = await this.acquire(worker, context.signal);
    const controller = new AbortController();
    const unlink = linkAbort(context.signal, controller);
    const signal = controller.signal;
    const timeout = (message: string) => () =>
      controller.abort(new WorkerCallError('worker_timeout', `worker ${worker.id} ${message}`, { workerId: worker.id, retryable: true }));
    const budget = setTimeout(timeout(`did not finish within the ${this.options.requestBudgetMs} ms budget`), this.options.requestBudgetMs);
    let opened: { iterator: AsyncGenerator<StreamEvent>; first: StreamEvent };
    try {
      opened = await worker.breaker.execute(async () => {
        const connectTimer = setTimeout(timeout(`did not respond within ${this.options.connectTimeoutMs} ms`), this.options.connectTimeoutMs);
        let response: WorkerResponse;
        try {
          response = await this.send(worker, '/v1/chat', 'POST', body, this.headers(context), signal);
        } catch (error) {
          throw toWorkerError(error, controller.signal.reason, worker.id, 'connect');
        } finally {
          clearTimeout(connectTimer);
        }
        if (!isOk(response)) throw await errorFromResponse(response, worker.id);
        const iterator = readStreamEvents(response.body);
        const firstTimer = setTimeout(timeout(`sent nothing within ${this.options.firstByteTimeoutMs} ms`), this.options.firstByteTimeoutMs);
        try {
          const first = await iterator.next();
          if (first.done) throw new WorkerCallError('worker_stream_broken', `worker ${worker.id} closed the stream without an event`, { workerId: worker.id });
          return { iterator, first: first.value };
        } catch (error) {
          throw toWorkerError(error, controller.signal.reason, worker.id, 'connect');
        } finally {
          clearTimeout(firstTimer);
        }
      });
    } catch (error) {
      clearTimeout(budget);
      controller.abort();
      unlink();
      release();
      if (context.signal?.aborted) throw new AppError('cancelled', 'the request was cancelled');
      throw this.noteFailure(worker, error);
    }
    worker.recordSuccess();
    return {
      workerId: worker.id,
      events: this.relay(worker, opened, controller, budget, () => {
        unlink();
        release();
      }, context),
    };
  }

  /** Yields the worker's events as they arrive; a break after the first event becomes an `error` event. */
  private async *relay(
    worker: PooledWorker,
    opened: { iterator: AsyncGenerator<StreamEvent>; first: StreamEvent },
    controller: AbortController,
    budget: NodeJS.Timeout,
    release: () => void,
    context: WorkerCallContext,
  ): AsyncGenerator<StreamEvent> {
    let idle: NodeJS.Timeout | undefined;
    let drained = false;
    const isTerminal = (event: StreamEvent) => event.type === 'answer-end' || event.type === 'error';
    try {
      yield opened.first;
      let ended = isTerminal(opened.first);
      while (!ended) {
        idle = setTimeout(() => {
          controller.abort(
            new WorkerCallError('worker_timeout', `worker ${worker.id} went silent for ${this.options.idleTimeoutMs} ms`, { workerId: worker.id, retryable: true }),
          );
        }, this.options.idleTimeoutMs);
        let next: IteratorResult<StreamEvent>;
        try {
          next = await opened.iterator.next();
        } catch (error) {
          if (context.signal?.aborted) return;
          const failure = toWorkerError(error, controller.signal.reason, worker.id, 'stream');
          this.recordStreamFailure(worker, failure);
          yield { type: 'error', code: failure.code === 'worker_timeout' ? 'worker_timeout' : 'worker_stream_broken', message: failure.message, retryable: true };
          return;
        } finally {
          clearTimeout(idle);
        }
        if (next.done) {
          const failure = new WorkerCallError('worker_stream_broken', `worker ${worker.id} closed the stream before the answer ended`, { workerId: worker.id });
          this.recordStreamFailure(worker, failure);
          yield { type: 'error', code: 'worker_stream_broken', message: failure.message, retryable: true };
          return;
        }
        yield next.value;
        ended = isTerminal(next.value);
      }
      // Read the body to its end (the worker closes it right after the last event) so the
      // keep-alive connection goes back to the pool instead of being torn down. Bounded by a short timer.
      idle = setTimeout(() => controller.abort(RELAY_FINISHED), Math.min(this.options.idleTimeoutMs, 1000));
      try {
        while (!(await opened.iterator.next()).done) {
          // a worker sending events after its last one: ignore them
        }
        drained = true;
      } catch {
        // aborted by the timer or the client: the connection is closed instead
      }
    } finally {
      clearTimeout(idle);
      clearTimeout(budget);
      if (!drained) {
        // The consumer stopped early or the stream failed: end the read and close the connection.
        void opened.iterator.return(undefined).catch(() => undefined);
        if (!controller.signal.aborted) controller.abort(RELAY_FINISHED);
      }
      release();
    }
  }

  /** A stream that broke after its first event counts against the worker's breaker too. */
  private recordStreamFailure(worker: PooledWorker, failure: WorkerCallError | AppError): void {
    worker.recordFailure(failure.message);
    worker.breaker
      .execute(() => {
        throw failure instanceof WorkerCallError ? failure : new WorkerCallError(failure.code, failure.message);
      })
      .catch(() => undefined);
  }
}

function isOk(response: WorkerResponse): boolean {
  return response.status >= 200 && response.status < 300;
}

/**
 * Forwards an abort of `parent` (the client) to `controller` (one worker request) and returns the
 * function that undoes it. Used instead of `AbortSignal.any`, which on Node 20 keeps every combined
 * signal reachable from its sources until they are collected.
 */
function linkAbort(parent: AbortSignal | undefined, controller: AbortController): () => void {
  if (!parent) return () => undefined;
  if (parent.aborted) {
    controller.abort(parent.reason);
    return () => undefined;
  }
  const forward = () => controller.abort(parent.reason);
  parent.addEventListener('abort', forward, { once: true });
  return () => parent.removeEventListener('abort', forward);
}

/** Abort reason used to close a finished relay; one shared instance (no stack capture per turn). */
const RELAY_FINISHED = new AppError('cancelled', 'relay finished');

function rank(worker: PooledWorker): number {
  // Prefer closed circuits, then workers known to be ready, then the lowest load. A worker whose
  // circuit is open stays a candidate so that cockatiel can let its half-open probe through.
  return worker.load + (worker.state === 'ready' ? 0 : 0.001) + (worker.breakerState === 'closed' ? 0 : 1000);
}

/** A worker skipped because its circuit is open (no request was sent). */
class CircuitOpenError extends WorkerCallError {
  constructor(workerId: string) {
    super('worker_unavailable', `worker ${workerId} is failing (circuit open)`, { workerId, retryable: true, countsForBreaker: false });
  }
}
