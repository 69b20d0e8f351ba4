import {
  AppError,
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

/** Reads a worker's JSON error body (bounded) and turns a non-2xx response into a typed error. */
export async function errorFromResponse(response: WorkerResponse, workerId: string): Promise<WorkerCallError> {
  let code: string | undefined;
  let message: string | undefined;
  try {
    const text = (await response.text(64 * 1024)).slice(0, 4096);
    const body = JSON.parse(text) as { error?: { code?: unknown; message?: unknown } };
    if (typeof body.error?.code === 'string') code = body.error.code;
    if (typeof body.error?.message === 'string') message = body.error.message;
  } catch {
    // not our JSON shape: fall back to the status line
  }
  const status = response.status;
  const detail = message ?? `HTTP ${status}`;
  if (status === 401 || status === 403) {
    return new WorkerCallError('worker_unavailable', `worker ${workerId} rejected the gateway's signature (check WORKER_SHARED_SECRET): ${detail}`, {
      workerId,
      retryable: true,
    });
  }
  if (status === 429 || (status === 503 && code === 'worker_busy')) {
    return new WorkerCallError('worker_busy', `worker ${workerId} is busy: ${detail}`, { workerId, retryable: true, countsForBreaker: false });
  }
  if (status >= 500) {
    const known = code !== undefined && code in errorCatalogue ? (code as ErrorCode) : 'worker_unavailable';
    return new WorkerCallError(known, `worker ${workerId} failed: ${detail}`, { workerId, retryable: true, status: 502 });
  }
  // 4xx: the request itself was refused; another worker would refuse it too.
  const known = code !== undefined && code in errorCatalogue ? (code as ErrorCode) : 'bad_request';
  return new WorkerCallError(known, detail, { workerId, retryable: false, countsForBreaker: false, status });
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
