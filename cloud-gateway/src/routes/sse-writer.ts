import type { ServerResponse } from 'node:http';
import type { StreamEvent } from '@review-assistant/shared';

/** One stream event as an SSE frame. `JSON.stringify` never emits a raw newline, so one `data:` line is exact. */
function sseFrame(event: StreamEvent): string {
  return `event: ${event.type}\ndata: ${JSON.stringify(event)}\n\n`;
}

/**
 * Writes SSE frames straight to Node's `ServerResponse` (no web-stream hops). Frames written in
 * the same tick leave in one socket write: the response is corked on the first write of a tick
 * and uncorked on `process.nextTick`, so nothing ever waits for later input (the relay stays
 * unbuffered) but a worker chunk carrying several events costs one syscall instead of several.
 * `write` resolves at once unless the socket's buffer is full (backpressure): then on `drain`.
 */
export class NodeSseWriter {
  private corked = false;
  private closed = false;
  private readonly uncork = () => {
    this.corked = false;
    this.response.uncork();
  };

  constructor(private readonly response: ServerResponse) {
    this.closed = response.destroyed;
    response.once('close', () => {
      this.closed = true;
    });
  }

  get aborted(): boolean {
    return this.closed && !this.response.writableFinished;
  }

  /**
   * Sends the status line and headers at the end of this tick (the client sees the stream open
   * before the first event, in the same socket write as the events written in this tick).
   */
  open(headers: Record<string, string>): void {
    this.corkForThisTick();
    this.response.writeHead(200, headers);
    this.response.flushHeaders();
  }

  write(event: StreamEvent): Promise<void> | undefined {
    if (this.closed || this.response.writableEnded) return undefined;
    this.corkForThisTick();
    if (this.response.write(sseFrame(event))) return undefined;
    return new Promise((resolve) => {
      const done = () => {
        this.response.off('drain', done);
        this.response.off('close', done);
        resolve();
      };
      this.response.once('drain', done);
      this.response.once('close', done);
    });
  }

  private corkForThisTick(): void {
    if (this.corked) return;
    this.corked = true;
    this.response.cork();
    process.nextTick(this.uncork);
  }

  /** Ends the response (idempotent); called in the tick of the last event, so both leave in one write. */
  end(): void {
    if (!this.closed && !this.response.writableEnded) this.response.end();
  }
}
