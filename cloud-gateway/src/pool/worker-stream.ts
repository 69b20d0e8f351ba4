import {
  AppError,
  ErrorBodySchema,
  StreamEventSchema,
  errorCatalogue,
  readNdjson,
  type ErrorCode,
  type StreamEvent,
} from '@review-assistant/shared';
import { WorkerCallError } from './worker-call-error.js';
import type { WorkerResponse } from './worker-transport.js';

/** Parses a worker's NDJSON body into validated stream events. */
export async function* readStreamEvents(body: AsyncIterable<Uint8Array>): AsyncGenerator<StreamEvent> {
  for await (const value of readNdjson(body)) {
    const parsed = StreamEventSchema.safeParse(value);
    if (!parsed.success) {
      throw new WorkerCallError('worker_stream_broken', `worker sent an invalid event: ${parsed.error.issues[0]?.message ?? 'unknown'}`);
    }
    yield parsed.data;
  }
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
