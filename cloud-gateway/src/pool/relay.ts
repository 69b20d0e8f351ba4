import { AppError, type StreamEvent } from '@review-assistant/shared';
import type { OpenedStream } from './signed-client.js';
import type { WorkerCallError } from './worker-call-error.js';
import { toWorkerError } from './worker-stream.js';

export interface RelayHooks {
  workerId: string;
  /** The caller's cancellation: a cancelled relay ends quietly (no error event). */
  signal?: AbortSignal | undefined;
  /** A stream that broke after its first event (counts against the worker). */
  onBroken(failure: AppError | WorkerCallError): void;
  /** Called once when the relay ends, however it ends: frees the worker slot. */
  release(): void;
}

const isTerminal = (event: StreamEvent) => event.type === 'answer-end' || event.type === 'error';

/**
 * Yields a worker's events as they arrive, the idle deadline running between two of them. A break
 * after the first event becomes one `error` event (never a retry: the client already has output).
 */
export async function* relayStream(opened: OpenedStream, hooks: RelayHooks): AsyncGenerator<StreamEvent> {
  const { deadlines, iterator } = opened;
  let drained = false;
  try {
    yield opened.first;
    let ended = isTerminal(opened.first);
    while (!ended) {
      deadlines.start('idle');
      let next: IteratorResult<StreamEvent>;
      try {
        next = await iterator.next();
      } catch (error) {
        if (hooks.signal?.aborted) return;
        const failure = toWorkerError(error, deadlines.reason, hooks.workerId, 'stream');
        hooks.onBroken(failure);
        yield { type: 'error', code: failure.code === 'worker_timeout' ? 'worker_timeout' : 'worker_stream_broken', message: failure.message, retryable: true };
        return;
      } finally {
        deadlines.clearPhase();
      }
      if (next.done) {
        const failure = new AppError('worker_stream_broken', `worker ${hooks.workerId} closed the stream before the answer ended`);
        hooks.onBroken(failure);
        yield { type: 'error', code: 'worker_stream_broken', message: failure.message, retryable: true };
        return;
      }
      yield next.value;
      ended = isTerminal(next.value);
    }
    // Read the body to its end (the worker closes it right after the last event) so the
    // keep-alive connection goes back to the agent instead of being torn down. Bounded by a short deadline.
    deadlines.start('idle', DRAIN_MS);
    try {
      while (!(await iterator.next()).done) {
        // a worker sending events after its last one: ignore them
      }
      drained = true;
    } catch {
      // aborted by the deadline or the client: the connection is closed instead
    }
  } finally {
    if (!drained) {
      // The consumer stopped early or the stream failed: end the read and close the connection.
      void iterator.return(undefined).catch(() => undefined);
      deadlines.abort(RELAY_FINISHED);
    }
    deadlines.finish();
    hooks.release();
  }
}

/** Longest wait for the end of a worker's body after its last event. */
const DRAIN_MS = 1000;

/** Abort reason used to close a finished relay; one shared instance (no stack capture per turn). */
const RELAY_FINISHED = new AppError('cancelled', 'relay finished');
