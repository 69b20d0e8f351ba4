import {
  AppError,
  ErrorBodySchema,
  StreamEventSchema,
  errorCatalogue,
  readNdjsonBatches,
  type AnswerDeltaEvent,
  type ErrorCode,
  type StreamEvent,
} from '@review-assistant/shared';
import { WorkerCallError } from './worker-call-error.js';
import type { WorkerResponse } from './worker-transport.js';

/**
 * Parses a worker's NDJSON body into validated stream events, one array per chunk the worker sent
 * (what arrived together is relayed in one step). Every event is checked: the hot `answer-delta`
 * shape (exactly `type` and a string `text`, what the schema would return unchanged) without
 * zod's copy, everything else by `StreamEventSchema`. An invalid event ends the stream with
 * `worker_stream_broken` after the valid events before it.
 */
export async function* readStreamEventBatches(body: AsyncIterable<Uint8Array>): AsyncGenerator<StreamEvent[]> {
  for await (const values of readNdjsonBatches(body)) {
    const events: StreamEvent[] = [];
    for (const value of values) {
      const event = parseStreamEvent(value);
      if (typeof event === 'string') {
        if (events.length > 0) yield events;
        throw new WorkerCallError('worker_stream_broken', `worker sent an invalid event: ${event}`);
      }
      events.push(event);
    }
    yield events;
  }
}

/** One stream event from the worker, or why it is not one. */
export function parseStreamEvent(value: unknown): StreamEvent | string {
  if (isAnswerDelta(value)) return value;
  const parsed = StreamEventSchema.safeParse(value);
  return parsed.success ? parsed.data : (parsed.error.issues[0]?.message ?? 'unknown');
}

function isAnswerDelta(value: unknown): value is AnswerDeltaEvent {
  if (typeof value !== 'object' || value === null || Object.getPrototypeOf(value) !== Object.prototype) return false;
  const event = value as Record<string, unknown>;
  if (event.type !== 'answer-delta' || typeof event.text !== 'string') return false;
  let keys = 0;
  for (const key in event) {
    if (!Object.hasOwn(event, key)) return false;
    keys += 1;
  }
  return keys === 2;
}

/**
 * Turns a non-2xx response into a typed error, reading its body (bounded). Only a body in the
 * worker's own error shape (`{"error":{"code","message"}}`) is the worker speaking: anything else
 * (an ngrok error page for an offline endpoint, marked by the `ngrok-error-code` header, a proxy's
 * HTML, an empty 404) means the worker was not reached, so it counts against the breaker and
 * fails over like a refused connection.
 */
export async function errorFromResponse(response: WorkerResponse, workerId: string): Promise<WorkerCallError> {
  const status = response.status;
  const edgeCode = response.header('ngrok-error-code');
  let own: { code: string; message: string } | undefined;
  try {
    const parsed = ErrorBodySchema.safeParse(JSON.parse((await response.text(64 * 1024)).slice(0, 64 * 1024)));
    if (parsed.success) own = { code: parsed.data.error.code, message: parsed.data.error.message.slice(0, 1000) };
  } catch {
    // not JSON: not the worker's own answer
  }
  if (edgeCode !== undefined || own === undefined) {
    const what = edgeCode === undefined ? 'an answer that is not the worker\'s own' : `ngrok error ${edgeCode.slice(0, 40)}`;
    return new WorkerCallError('worker_unavailable', `worker ${workerId} is unreachable: HTTP ${status} with ${what} (tunnel offline?)`, { workerId, retryable: true, status: 502 });
  }
  const { code, message } = own;
  if (status === 401 || status === 403) {
    return new WorkerCallError('worker_unavailable', `worker ${workerId} rejected the gateway's signature (check WORKER_SHARED_SECRET): ${message}`, {
      workerId,
      retryable: true,
    });
  }
  if (status === 429 || (status === 503 && code === 'worker_busy')) {
    return new WorkerCallError('worker_busy', `worker ${workerId} is busy: ${message}`, { workerId, retryable: true, countsForBreaker: false });
  }
  const known = code in errorCatalogue ? (code as ErrorCode) : undefined;
  if (status >= 500) {
    return new WorkerCallError(known ?? 'worker_unavailable', `worker ${workerId} failed: ${message}`, { workerId, retryable: true, status: 502 });
  }
  // The worker's own 4xx: the request itself was refused; another worker would refuse it too.
  return new WorkerCallError(known ?? 'bad_request', message, { workerId, retryable: false, countsForBreaker: false, status });
}

/** Maps whatever a failed fetch or body read threw into a typed error, preferring our own abort reason. */
export function toWorkerError(error: unknown, abortReason: unknown, workerId: string, phase: 'connect' | 'stream'): AppError {
  if (abortReason instanceof AppError) return abortReason;
  if (error instanceof AppError) return error;
  const message = error instanceof Error ? (error.cause instanceof Error ? `${error.message}: ${error.cause.message}` : error.message) : String(error);
  return phase === 'connect'
    ? new WorkerCallError('worker_unavailable', `worker ${workerId} unreachable: ${message}`, { workerId, cause: error, retryable: true })
    : new WorkerCallError('worker_stream_broken', `worker ${workerId} stream broke: ${message}`, { workerId, cause: error, retryable: true });
}
