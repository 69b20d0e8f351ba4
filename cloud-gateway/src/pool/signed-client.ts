import { signRequest, WorkerHealthSchema, type StreamEvent, type WorkerHealth } from '@review-assistant/shared';
import { RequestDeadlines, type DeadlineLimits } from './deadlines.js';
import { WorkerCallError } from './worker-call-error.js';
import { errorFromResponse, readStreamEventBatches, toWorkerError } from './worker-stream.js';
import type { WorkerResponse, WorkerTransport } from './worker-transport.js';

/** Where a request goes: a worker's id (for messages) and base URL. */
export interface WorkerTarget {
  id: string;
  url: string;
}

/** Per-request context: id forwarded to the worker, cancellation, and the predicted intent. */
export interface WorkerCallContext {
  requestId: string;
  signal?: AbortSignal;
  /** Sent as `X-Intent` so the worker (and its inspector) can see the gateway's decision. */
  intent?: string;
}

/** A chat stream whose first events arrived; the deadlines keep running until `finish()`. */
export interface OpenedStream {
  /** The rest of the stream, by chunk (`readStreamEventBatches`). */
  iterator: AsyncGenerator<StreamEvent[]>;
  /** The events of the first chunk (at least one). */
  first: StreamEvent[];
  deadlines: RequestDeadlines;
}

/**
 * Signed requests to one worker at a time, each under `RequestDeadlines`. Knows nothing of the
 * pool: picking, breakers and slots are the caller's. Failures are typed `WorkerCallError`s
 * (or the `worker_timeout` of the deadline that passed).
 */
export class SignedWorkerClient {
  constructor(
    private readonly options: { secret: string | undefined; transport: WorkerTransport; limits: DeadlineLimits },
  ) {}

  /**
   * Sends one request, signed with the shared secret (DESIGN.md "Request signing").
   * `signRequest` is called directly because method, path and body are known here, which spares
   * `createSignedFetch`'s extra Request object per call.
   */
  send(worker: WorkerTarget, path: string, method: 'GET' | 'POST', body: string | undefined, headers: Record<string, string>, signal: AbortSignal): Promise<WorkerResponse> {
    const url = `${worker.url}${path}`;
    const signature = this.options.secret ? signRequest({ secret: this.options.secret, method, path: new URL(url).pathname, body }) : {};
    return this.options.transport(url, { method, headers: { ...headers, ...signature }, signal, body });
  }

  /** `POST path` with a JSON body; resolves the parsed JSON answer within the first-byte deadline. */
  async fetchJson(worker: WorkerTarget, path: string, body: string, context: WorkerCallContext): Promise<unknown> {
    const deadlines = new RequestDeadlines(worker.id, this.options.limits, context.signal);
    deadlines.start('first-byte');
    try {
      const response = await this.send(worker, path, 'POST', body, headersFor(context), deadlines.signal);
      if (!isOk(response)) throw await errorFromResponse(response, worker.id);
      return parseJson(await response.text(), worker.id);
    } catch (error) {
      throw toWorkerError(error, deadlines.reason, worker.id, 'connect');
    } finally {
      deadlines.finish();
    }
  }

  /** `GET /v1/health` within the connect deadline. */
  async health(worker: WorkerTarget, requestId: string): Promise<WorkerHealth> {
    const deadlines = new RequestDeadlines(worker.id, this.options.limits);
    deadlines.start('connect');
    try {
      const response = await this.send(worker, '/v1/health', 'GET', undefined, { 'x-request-id': requestId }, deadlines.signal);
      if (!isOk(response)) throw await errorFromResponse(response, worker.id);
      const health = WorkerHealthSchema.safeParse(parseJson(await response.text(), worker.id));
      if (!health.success) throw new WorkerCallError('worker_unavailable', `worker ${worker.id} sent an unexpected /v1/health body`, { workerId: worker.id });
      return health.data;
    } catch (error) {
      throw toWorkerError(error, deadlines.reason, worker.id, 'connect');
    } finally {
      deadlines.finish();
    }
  }

  /**
   * `POST /v1/chat` and waits for the first event (connect, then first-byte deadline). On success
   * the caller owns `deadlines` (budget still running) and must `finish()` them; on failure
   * everything is closed and the typed error thrown.
   */
  async openChat(worker: WorkerTarget, body: string, context: WorkerCallContext): Promise<OpenedStream> {
    const deadlines = new RequestDeadlines(worker.id, this.options.limits, context.signal);
    try {
      deadlines.start('connect');
      const response = await this.send(worker, '/v1/chat', 'POST', body, headersFor(context), deadlines.signal);
      if (!isOk(response)) throw await errorFromResponse(response, worker.id);
      const iterator = readStreamEventBatches(response.body);
      deadlines.start('first-byte');
      const first = await iterator.next();
      if (first.done) throw new WorkerCallError('worker_stream_broken', `worker ${worker.id} closed the stream without an event`, { workerId: worker.id });
      deadlines.clearPhase();
      return { iterator, first: first.value, deadlines };
    } catch (error) {
      const failure = toWorkerError(error, deadlines.reason, worker.id, 'connect');
      // Close the response (if any) so the connection is not left half-read.
      deadlines.abort(failure);
      deadlines.finish();
      throw failure;
    }
  }
}

function headersFor(context: WorkerCallContext): Record<string, string> {
  return {
    'content-type': 'application/json',
    'x-request-id': context.requestId,
    ...(context.intent === undefined ? {} : { 'x-intent': context.intent }),
  };
}

function isOk(response: WorkerResponse): boolean {
  return response.status >= 200 && response.status < 300;
}

function parseJson(text: string, workerId: string): unknown {
  try {
    return JSON.parse(text) as unknown;
  } catch (cause) {
    throw new WorkerCallError('worker_unavailable', `worker ${workerId} sent a body that is not JSON`, { workerId, cause });
  }
}

