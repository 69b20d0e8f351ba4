import type { ServerResponse } from 'node:http';
import type { StreamEvent } from '@review-assistant/shared';

/** Longest silence on an SSE stream before a comment line keeps the connection busy. */
export const SSE_KEEP_ALIVE_MS = 15_000;

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
  private wroteSinceKeepAlive = false;
  private keepAliveTimer: NodeJS.Timeout | undefined;
  private readonly uncork = () => {
    this.corked = false;
    this.response.uncork();
  };

  /**
   * @param keepAliveMs after this long without an event an SSE comment line is sent, so an edge
   * in front of the gateway (CloudFront's origin read timeout is 30 s by default, the ALB's idle
   * timeout 60 s) does not cut a stream while a cold model loads. Browsers ignore comments.
   * @default 15000
   */
  constructor(
    private readonly response: ServerResponse,
    private readonly keepAliveMs = SSE_KEEP_ALIVE_MS,
  ) {
    this.closed = response.destroyed;
    response.once('close', () => {
      this.closed = true;
      this.stopKeepAlive();
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
    this.keepAliveTimer = setInterval(() => {
      if (!this.wroteSinceKeepAlive && !this.closed && !this.response.writableEnded) this.response.write(': keep-alive\n\n');
      this.wroteSinceKeepAlive = false;
    }, this.keepAliveMs);
    this.keepAliveTimer.unref();
  }

  write(event: StreamEvent): Promise<void> | undefined {
    if (this.closed || this.response.writableEnded) return undefined;
    this.corkForThisTick();
    this.wroteSinceKeepAlive = true;
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
    this.stopKeepAlive();
    if (!this.closed && !this.response.writableEnded) this.response.end();
  }

  private stopKeepAlive(): void {
    if (this.keepAliveTimer) clearInterval(this.keepAliveTimer);
    this.keepAliveTimer = undefined;
  }
}
