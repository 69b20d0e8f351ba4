import type { ServerResponse } from 'node:http';
// The header that tells @hono/node-server the handler has answered on the Node response itself.
import { X_ALREADY_SENT } from '@hono/node-server/utils/response/constants';
import type { StreamEvent } from '@review-assistant/shared';
import { stringFieldFrame } from './frame-template.js';

/** Longest silence on an SSE stream before a comment line keeps the connection busy. */
export const SSE_KEEP_ALIVE_MS = 15_000;

/** Longest a client may leave written data unread before its connection is closed. */
export const CLIENT_WRITE_TIMEOUT_MS = 30_000;

/** Text of one tick written at once rather than at the end of the tick (about the socket's high-water mark). */
const FLUSH_AT_CHARS = 16 * 1024;

/** An event's SSE frame: `event: <type>` and one `data:` line (`JSON.stringify` never emits a raw newline). */
const eventFrame = (event: StreamEvent) => `event: ${event.type}\ndata: ${JSON.stringify(event)}\n\n`;

/** The `answer-delta` frame, rendered once and filled with each text (`stringFieldFrame`: the same bytes). */
const answerDeltaFrame = stringFieldFrame((text) => eventFrame({ type: 'answer-delta', text }));

/**
 * One stream event as an SSE frame. The hot `answer-delta` (about 20 per turn) is its frame's
 * constant text around its quoted text, without walking an object per token; it goes out with
 * its fields in the schema's order (`type`, `text`), whatever order the worker sent them in.
 */
export function sseFrame(event: StreamEvent): string {
  return event.type === 'answer-delta' ? answerDeltaFrame(event.text) : eventFrame(event);
}

/**
 * Writes SSE frames straight to Node's `ServerResponse` (no web-stream hops), in as few socket
 * writes as the relay allows without waiting for later input: the frames of one tick (one worker
 * chunk) are joined and written at its end as one HTTP chunk; the status line and headers leave
 * with the first frame when it comes in the same turn of the event loop (else at the end of that
 * turn, so the client sees the stream open before a slow first event); `end()` in the tick of the
 * last frame sends the end of the chunked body in the same write. On a loopback or tunnel hop
 * every write is a syscall that wakes the reader, the largest cost per relayed turn.
 * `write` resolves at once unless the socket's buffer is full (backpressure): then on `drain`.
 */
export class NodeSseWriter {
  private closed = false;
  private wroteSinceKeepAlive = false;
  /** Whether anything went to the response since `open` (the headers leave with the first write). */
  private wroteAny = false;
  private keepAliveTimer: NodeJS.Timeout | undefined;
  private stallTimer: NodeJS.Timeout | undefined;
  /** Text written in this tick, not yet handed to the response. */
  private pending = '';
  private flushQueued = false;
  private readonly flushQueuedText = () => {
    this.flushQueued = false;
    if (!this.closed && !this.response.writableEnded) this.flush();
  };
  private readonly flushHeaders = () => {
    // `headersSent` is already true after `writeHead` (the headers are only stored): own flag.
    if (!this.wroteAny && !this.closed && !this.response.writableEnded) this.response.flushHeaders();
  };

  /**
   * @param keepAliveMs after this long without an event an SSE comment line is sent, so an edge
   * in front of the gateway (CloudFront's origin read timeout is 30 s by default, the ALB's idle
   * timeout 60 s) does not cut a stream while a cold model loads. Browsers ignore comments.
   * @default 15000
   * @param stallTimeoutMs a client that leaves written data unread this long (its socket buffer
   * stays full, or the end of the stream stays unsent) is disconnected: a reader that stopped
   * must not keep a socket and its buffers forever. @default 30000
   * @param keepAliveFrame what a keep-alive writes (another protocol's no-op frame, e.g. an empty
   * NDJSON part). @default an SSE comment line
   */
  constructor(
    private readonly response: ServerResponse,
    private readonly keepAliveMs = SSE_KEEP_ALIVE_MS,
    private readonly stallTimeoutMs = CLIENT_WRITE_TIMEOUT_MS,
    private readonly keepAliveFrame: () => string = () => ': keep-alive\n\n',
  ) {
    this.closed = response.destroyed;
    response.once('close', () => {
      this.closed = true;
      this.stopKeepAlive();
      this.clearStall();
    });
  }

  get aborted(): boolean {
    return this.closed && !this.response.writableFinished;
  }

  /**
   * Sets the status line and headers. They leave with the first frame written before this turn of
   * the event loop ends, or alone at its end (`setImmediate`): Node's own `flushHeaders()` would
   * send them at once, one more socket write when the first frame follows within microseconds.
   */
  open(headers: Record<string, string>): void {
    this.response.writeHead(200, headers);
    setImmediate(this.flushHeaders);
    this.keepAliveTimer = setInterval(() => {
      if (!this.wroteSinceKeepAlive && !this.closed && !this.response.writableEnded) this.response.write(this.keepAliveFrame());
      this.wroteSinceKeepAlive = false;
    }, this.keepAliveMs);
    this.keepAliveTimer.unref();
  }

  /**
   * Writes one already framed piece (an SSE event of another protocol, an NDJSON line). The pieces
   * of one tick are joined and written once at its end (`process.nextTick`, after the turn's
   * microtasks): one HTTP chunk instead of one per piece, so one buffered socket write instead of
   * four (size line, data, CRLF, each a socket `write` while corked) per event. A tick's text over
   * `FLUSH_AT_CHARS` is written at once, so backpressure is seen as before.
   */
  writeFrame(frame: string): Promise<void> | undefined {
    if (this.closed || this.response.writableEnded) return undefined;
    this.wroteSinceKeepAlive = true;
    this.wroteAny = true;
    this.pending += frame;
    if (this.pending.length < FLUSH_AT_CHARS) {
      if (!this.flushQueued) {
        this.flushQueued = true;
        process.nextTick(this.flushQueuedText);
      }
      if (!this.response.writableNeedDrain) return undefined;
    } else if (this.flush()) return undefined;
    this.armStall();
    return new Promise((resolve) => {
      const done = () => {
        this.response.off('drain', done);
        this.response.off('close', done);
        this.clearStall();
        resolve();
      };
      this.response.once('drain', done);
      this.response.once('close', done);
    });
  }

  /**
   * Ends the response (idempotent) with what this tick wrote; called in the tick of the last
   * event, so the events and the end of the body leave in one write. The writer never calls
   * `response.cork()`: on Node 22 `end()` on a response corked that way sends the end of the body
   * before the corked frames (the client got only the first event; seen by the release smoke
   * test, which runs the gateway on Node 22). `end(text)` corks the socket itself, in order.
   */
  end(): void {
    this.stopKeepAlive();
    if (this.closed || this.response.writableEnded) return;
    const rest = this.pending;
    this.pending = '';
    if (rest.length > 0) this.response.end(rest);
    else this.response.end();
    if (this.response.writableLength > 0) {
      // The client has not taken the end of the stream yet: it gets the same deadline.
      this.armStall();
      this.response.once('finish', () => this.clearStall());
    }
  }

  /** Writes the pending text; false when the socket's buffer is over its high-water mark. */
  private flush(): boolean {
    const text = this.pending;
    this.pending = '';
    return text.length === 0 || this.response.write(text);
  }

  private armStall(): void {
    if (this.stallTimer) return;
    this.stallTimer = setTimeout(() => this.response.destroy(), this.stallTimeoutMs);
    this.stallTimer.unref();
  }

  private clearStall(): void {
    if (this.stallTimer) clearTimeout(this.stallTimer);
    this.stallTimer = undefined;
  }

  private stopKeepAlive(): void {
    if (this.keepAliveTimer) clearInterval(this.keepAliveTimer);
    this.keepAliveTimer = undefined;
  }
}

/**
 * Ties a Node response that a handler answers itself to its turn: a client that goes away aborts
 * `controller` (and with it the worker request). Returns the headers the middleware chain set
 * (request id, security headers), without the already-sent marker, for `NodeSseWriter.open`.
 */
export function bindNodeResponse(outgoing: ServerResponse, middlewareHeaders: Headers, controller: AbortController): Record<string, string> {
  abortWhenClientLeaves(outgoing, controller);
  const headers: Record<string, string> = {};
  middlewareHeaders.forEach((value, name) => {
    if (name !== X_ALREADY_SENT) headers[name] = value;
  });
  return headers;
}

/**
 * Aborts `controller` when the client goes away: the response closes before it finished (what
 * @hono/node-server's request signal follows, without the WHATWG `Request` that reading
 * `c.req.raw.signal` makes it build).
 */
export function abortWhenClientLeaves(outgoing: ServerResponse, controller: AbortController): void {
  if (outgoing.destroyed) controller.abort();
  outgoing.once('close', () => {
    if (!outgoing.writableFinished) controller.abort();
  });
}
