import { AppError, type StreamEvent } from '@review-assistant/shared';
import type { OpenedStream } from './signed-client.js';
import type { WorkerCallError } from './worker-call-error.js';
import { toWorkerError } from './worker-stream.js';

export interface RelayHooks {
  workerId: string;
  /** The caller's cancellation: a cancelled relay ends quietly (no error event). */
  signal?: AbortSignal | undefined;
  /** Most bytes (estimated) of events read from the worker but not yet taken by the consumer. */
  maxBufferedBytes: number;
  /** A stream that broke after its first event (counts against the worker). */
  onBroken(failure: AppError | WorkerCallError): void;
  /** Called once when the worker's stream is over, however it ends: frees the worker slot. */
  release(): void;
}

const isTerminal = (event: StreamEvent) => event.type === 'answer-end' || event.type === 'error';

/**
 * Relays a worker's stream. The worker is read as fast as it sends (the idle deadline running
 * between two events), independently of the consumer: events the consumer has not taken yet wait
 * in a buffer, so the worker slot is released when the WORKER's stream ends, not when a slow
 * client has read it. The buffer is bounded: a consumer more than `maxBufferedBytes` behind is
 * cut off (worker request aborted, slot released, one `error` event after what it already has).
 * A break after the first event becomes one `error` event (never a retry: the client already has
 * output).
 */
export function relayStream(opened: OpenedStream, hooks: RelayHooks): AsyncGenerator<StreamEvent> {
  const buffer = new EventBuffer();
  void pump(opened, hooks, buffer);
  return consume(opened, buffer);
}

async function pump(opened: OpenedStream, hooks: RelayHooks, buffer: EventBuffer): Promise<void> {
  const { deadlines, iterator } = opened;
  let drained = false;
  try {
    let ended = buffer.pushUntilTerminal(opened.first);
    while (!ended) {
      if (buffer.bytes > hooks.maxBufferedBytes) {
        buffer.push({ type: 'error', code: 'cancelled', message: `the client fell more than ${hooks.maxBufferedBytes} bytes behind the answer and was cut off`, retryable: false });
        return;
      }
      deadlines.start('idle');
      let next: IteratorResult<StreamEvent[]>;
      try {
        next = await iterator.next();
      } catch (error) {
        if (hooks.signal?.aborted || deadlines.reason === RELAY_FINISHED) return;
        const failure = toWorkerError(error, deadlines.reason, hooks.workerId, 'stream');
        hooks.onBroken(failure);
        buffer.push({ type: 'error', code: failure.code === 'worker_timeout' ? 'worker_timeout' : 'worker_stream_broken', message: failure.message, retryable: true });
        return;
      } finally {
        deadlines.clearPhase();
      }
      if (next.done) {
        const failure = new AppError('worker_stream_broken', `worker ${hooks.workerId} closed the stream before the answer ended`);
        hooks.onBroken(failure);
        buffer.push({ type: 'error', code: 'worker_stream_broken', message: failure.message, retryable: true });
        return;
      }
      ended = buffer.pushUntilTerminal(next.value);
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
      // The stream failed, the consumer left or fell too far behind: end the read, close the connection.
      void iterator.return(undefined).catch(() => undefined);
      deadlines.abort(RELAY_FINISHED);
    }
    deadlines.finish();
    hooks.release();
    buffer.end();
  }
}

async function* consume(opened: OpenedStream, buffer: EventBuffer): AsyncGenerator<StreamEvent> {
  try {
    for (;;) {
      const event = buffer.shift();
      if (event) yield event;
      else if (buffer.ended) return;
      else await buffer.arrival();
    }
  } finally {
    // The consumer stopped early (client gone): stop reading the worker too.
    if (!buffer.ended) opened.deadlines.abort(RELAY_FINISHED);
  }
}

/** Events read from the worker and not yet taken by the consumer, with an estimate of their size. */
class EventBuffer {
  private readonly events: StreamEvent[] = [];
  private head = 0;
  private waiter: (() => void) | undefined;
  bytes = 0;
  ended = false;

  push(event: StreamEvent): void {
    this.events.push(event);
    this.bytes += estimatedBytes(event);
    this.wake();
  }

  /** Pushes the events of one worker chunk up to its last event (what follows that is ignored); true when the last event came. */
  pushUntilTerminal(events: readonly StreamEvent[]): boolean {
    for (const event of events) {
      this.events.push(event);
      this.bytes += estimatedBytes(event);
      if (isTerminal(event)) {
        this.wake();
        return true;
      }
    }
    this.wake();
    return false;
  }

  shift(): StreamEvent | undefined {
    if (this.head >= this.events.length) return undefined;
    const event = this.events[this.head] as StreamEvent;
    this.events[this.head] = undefined as never;
    this.head += 1;
    if (this.head === this.events.length) {
      this.events.length = 0;
      this.head = 0;
    }
    this.bytes -= estimatedBytes(event);
    return event;
  }

  end(): void {
    this.ended = true;
    this.wake();
  }

  arrival(): Promise<void> {
    return new Promise((resolve) => {
      this.waiter = resolve;
    });
  }

  private wake(): void {
    const waiter = this.waiter;
    this.waiter = undefined;
    waiter?.();
  }
}

/** Size of an event as relayed, estimated from its text (cheaper than serializing it again). */
function estimatedBytes(event: StreamEvent): number {
  switch (event.type) {
    case 'answer-delta':
      return 48 + event.text.length;
    case 'sources':
      return event.items.reduce((total, item) => total + 256 + item.text.length, 64);
    default:
      return 256;
  }
}

/** Longest wait for the end of a worker's body after its last event. */
const DRAIN_MS = 1000;

/** Abort reason used to close a finished relay; one shared instance (no stack capture per turn). */
const RELAY_FINISHED = new AppError('cancelled', 'relay finished');
