import { Agent, type Dispatcher } from 'undici';
import type { WorkerRequest, WorkerResponse, WorkerTransport } from './worker-transport.js';
import { readText } from './worker-transport.js';

export interface UndiciTransportOptions {
  /** Certificate authorities trusted for `https:` workers instead of Node's bundled list (tests with a self-signed edge). @default Node's CAs */
  ca?: string | Buffer;
}

/** Bytes of response body queued unread before the socket is paused. */
const QUEUE_HIGH_WATER = 64 * 1024;

/**
 * The gateway's transport to its workers: undici's dispatcher (a keep-alive pool per worker
 * origin) with a handler that hands body chunks straight to the reader, no Node or web stream in
 * between. It costs ~30-40 µs (25-35%) less client CPU per worker request than `node:http` with
 * its `IncomingMessage` stream (docs/GATEWAY.md, Worker pool). The pool's deadlines (`RequestDeadlines`) are the
 * only timeouts: undici's own header and body timeouts are off, its TCP connect timeout (10 s)
 * only ends a connection attempt nobody waits for any more.
 */
export function createUndiciTransport(options: UndiciTransportOptions = {}): WorkerTransport {
  const agent = new Agent({
    headersTimeout: 0,
    bodyTimeout: 0,
    ...(options.ca === undefined ? {} : { connect: { ca: options.ca } }),
  });
  return (url, request) =>
    new Promise<WorkerResponse>((resolve, reject) => {
      if (request.signal.aborted) {
        reject(request.signal.reason);
        return;
      }
      const target = new URL(url);
      const dispatch: Dispatcher.DispatchOptions = {
        origin: target.origin,
        path: `${target.pathname}${target.search}`,
        method: request.method,
        headers: request.headers,
        ...(request.body === undefined ? {} : { body: request.body }),
      };
      agent.dispatch(dispatch, new ResponseReader(request, resolve, reject));
    });
}

/**
 * One request's undici handler and, once the headers are in, its response body as an async
 * iterator. Aborting the request's signal aborts the dispatch (undici then destroys the socket:
 * a half-read connection is never reused) and fails a pending read with the signal's reason.
 */
class ResponseReader implements Dispatcher.DispatchHandler, AsyncIterableIterator<Uint8Array> {
  private controller: Dispatcher.DispatchController | undefined;
  private readonly chunks: Buffer[] = [];
  private queued = 0;
  /** undici has the whole response; `ended` follows once the connection can be reused. */
  private complete = false;
  private ended = false;
  /** The reader called `return()`: nothing more is handed out. */
  private closed = false;
  private failure: { error: unknown } | undefined;
  private waiting: { resolve: (result: IteratorResult<Uint8Array>) => void; reject: (error: unknown) => void } | undefined;
  private settled = false;
  private readonly onAbort = () => this.abort(this.request.signal.reason);

  constructor(
    private readonly request: WorkerRequest,
    private readonly resolve: (response: WorkerResponse) => void,
    private readonly reject: (error: unknown) => void,
  ) {
    request.signal.addEventListener('abort', this.onAbort, { once: true });
  }

  onRequestStart(controller: Dispatcher.DispatchController): void {
    this.controller = controller;
    if (this.request.signal.aborted) controller.abort(asError(this.request.signal.reason));
  }

  onResponseStart(_controller: Dispatcher.DispatchController, statusCode: number, headers: Record<string, string | string[] | undefined>): void {
    // An informational response (103 Early Hints...): the real one follows. (undici itself fails
    // an unrequested 100 Continue as a bad response.)
    if (statusCode < 200) return;
    this.settled = true;
    this.resolve({
      status: statusCode,
      header: (name) => {
        const value = headers[name];
        return Array.isArray(value) ? value[0] : value;
      },
      body: this,
      text: (maxBytes) => readText(this, maxBytes),
    });
  }

  onResponseData(controller: Dispatcher.DispatchController, chunk: Buffer): void {
    if (this.closed) return;
    if (this.waiting) {
      const { resolve } = this.waiting;
      this.waiting = undefined;
      resolve({ value: chunk, done: false });
      return;
    }
    this.chunks.push(chunk);
    this.queued += chunk.byteLength;
    if (this.queued > QUEUE_HIGH_WATER) controller.pause();
  }

  onResponseEnd(): void {
    this.stopListening();
    // undici hands the connection to the next request only a full event-loop turn after the
    // response (its `setImmediate` right after this call, so that a server that closes anyway is
    // noticed); a caller that sends its next request as soon as this body ends would open a new
    // connection instead. The end is therefore reported after that turn: the next tick comes after
    // undici's `setImmediate` was queued, so this one runs after it.
    this.complete = true;
    process.nextTick(() => setImmediate(() => this.end()));
  }

  private end(): void {
    this.ended = true;
    if (this.waiting) {
      const { resolve } = this.waiting;
      this.waiting = undefined;
      resolve({ value: undefined, done: true });
    }
  }

  onResponseError(_controller: Dispatcher.DispatchController, error: Error): void {
    this.stopListening();
    // Our own abort reaches undici as an Error; hand the caller the signal's reason as it was.
    const reason = this.request.signal.aborted ? this.request.signal.reason : error;
    if (!this.settled) {
      this.settled = true;
      this.reject(reason);
      return;
    }
    if (this.complete) return;
    this.failure = { error: reason };
    if (this.waiting) {
      const { reject } = this.waiting;
      this.waiting = undefined;
      reject(reason);
    }
  }

  [Symbol.asyncIterator](): AsyncIterableIterator<Uint8Array> {
    return this;
  }

  next(): Promise<IteratorResult<Uint8Array>> {
    if (this.closed) return Promise.resolve({ value: undefined, done: true });
    const chunk = this.chunks.shift();
    if (chunk !== undefined) {
      this.queued -= chunk.byteLength;
      if (this.controller?.paused === true && this.queued <= QUEUE_HIGH_WATER / 2) this.controller.resume();
      return Promise.resolve({ value: chunk, done: false });
    }
    if (this.failure) return Promise.reject(this.failure.error);
    if (this.ended) return Promise.resolve({ value: undefined, done: true });
    return new Promise((resolve, reject) => {
      this.waiting = { resolve, reject };
    });
  }

  /** The reader stopped early (`break`, a thrown error, a size limit): close the connection. */
  return(): Promise<IteratorResult<Uint8Array>> {
    this.closed = true;
    if (!this.complete && !this.failure) this.abort(new Error('worker response body left unread'));
    this.chunks.length = 0;
    this.queued = 0;
    return Promise.resolve({ value: undefined, done: true });
  }

  private abort(reason: unknown): void {
    this.stopListening();
    if (this.controller) {
      if (!this.controller.aborted) this.controller.abort(asError(reason));
    } else if (!this.settled) {
      // Not on a socket yet (still connecting): undici will call onRequestStart later, and
      // that aborts at once since the signal is aborted; the caller does not wait for it.
      this.settled = true;
      this.reject(reason);
    }
  }

  private stopListening(): void {
    this.request.signal.removeEventListener('abort', this.onAbort);
  }
}

function asError(reason: unknown): Error {
  return reason instanceof Error ? reason : new Error(String(reason));
}
