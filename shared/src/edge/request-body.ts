import type { IncomingMessage } from 'node:http';
import type { Context, MiddlewareHandler } from 'hono';
import { bodyLimit } from 'hono/body-limit';
import { AppError } from '../errors.js';

const tooLarge = (maxBytes: number) => new AppError('payload_too_large', `request bodies are limited to ${maxBytes} bytes`);

/** Bodies already being read, by request: a body is read once, under the first limit asked for. */
const reads = new WeakMap<object, Promise<Buffer>>();

/**
 * The one way the gateway reads a request body: at most `maxBytes`, counted as the bytes arrive
 * (chunked bodies included), failing with 413 `payload_too_large` the moment the count passes the
 * limit, without waiting for (or buffering) the rest. A declared `Content-Length` over the limit
 * fails before anything is read. On Node the bytes come straight from the `IncomingMessage` (no
 * WHATWG `Request` or web stream is built, a measurable cost per request); under `app.request()`
 * from the `Request` body.
 */
export function readRequestBody(c: Context, maxBytes: number): Promise<Buffer> {
  const incoming = (c.env as { incoming?: IncomingMessage } | undefined)?.incoming;
  const key: object = incoming ?? c.req.raw;
  const earlier = reads.get(key);
  // Read before under another limit: a smaller limit still holds for this caller.
  if (earlier) return earlier.then((body) => (body.length > maxBytes ? Promise.reject(tooLarge(maxBytes)) : body));
  const read = incoming ? readIncoming(incoming, maxBytes) : readWebBody(c.req.raw, maxBytes);
  // A read that fails while nobody awaits it (e.g. the handler answered first) is not an unhandled rejection.
  read.catch(() => undefined);
  reads.set(key, read);
  // Hono's own readers (`c.req.json()`, validators, the inspector) find the bytes in its cache,
  // copied into an ArrayBuffer only when one of them asks (most requests never do).
  if (c.req.bodyCache.arrayBuffer === undefined) {
    let cached: Promise<ArrayBuffer> | undefined;
    Object.defineProperty(c.req.bodyCache, 'arrayBuffer', {
      configurable: true,
      enumerable: true,
      get: () => {
        if (cached === undefined) {
          cached = read.then(toArrayBuffer);
          // Same as above: the failure reaches whoever awaits the body, never the process.
          cached.catch(() => undefined);
        }
        return cached;
      },
      set: (value: Promise<ArrayBuffer>) => {
        cached = value;
      },
    });
  }
  return read;
}

function declaredTooLarge(contentLength: string | null | undefined, chunked: boolean, maxBytes: number): boolean {
  return contentLength !== undefined && contentLength !== null && !chunked && Number.parseInt(contentLength || '0', 10) > maxBytes;
}

function readIncoming(incoming: IncomingMessage, maxBytes: number): Promise<Buffer> {
  if (declaredTooLarge(incoming.headers['content-length'], incoming.headers['transfer-encoding'] !== undefined, maxBytes)) {
    return Promise.reject(tooLarge(maxBytes));
  }
  if (incoming.readableEnded) return Promise.resolve(Buffer.alloc(0));
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    const fail = (error: unknown) => {
      cleanup();
      // Stop pulling the body; the response (413) still goes out, then the connection closes.
      incoming.pause();
      reject(error);
    };
    const onData = (chunk: Buffer) => {
      size += chunk.byteLength;
      if (size > maxBytes) {
        fail(tooLarge(maxBytes));
        return;
      }
      chunks.push(chunk);
    };
    const onEnd = () => {
      cleanup();
      resolve(chunks.length === 1 ? chunks[0]! : Buffer.concat(chunks));
    };
    const onAborted = () => fail(new AppError('bad_request', 'the client closed the connection before the body was complete'));
    const cleanup = () => {
      incoming.off('data', onData);
      incoming.off('end', onEnd);
      incoming.off('error', onAborted);
      incoming.off('aborted', onAborted);
    };
    incoming.on('data', onData);
    incoming.once('end', onEnd);
    incoming.once('error', onAborted);
    incoming.once('aborted', onAborted);
  });
}

async function readWebBody(request: Request, maxBytes: number): Promise<Buffer> {
  if (declaredTooLarge(request.headers.get('content-length'), request.headers.has('transfer-encoding'), maxBytes)) throw tooLarge(maxBytes);
  if (!request.body) return Buffer.alloc(0);
  const chunks: Uint8Array[] = [];
  let size = 0;
  for await (const chunk of request.body as unknown as AsyncIterable<Uint8Array>) {
    size += chunk.byteLength;
    if (size > maxBytes) throw tooLarge(maxBytes);
    chunks.push(chunk);
  }
  return Buffer.concat(chunks);
}

/**
 * The app-wide body limit. It reads nothing itself, so a route that takes no body answers at once
 * whatever body is attached. A declared `Content-Length` over `maxBytes` is refused with 413 before
 * the route runs; `c.req.json()`, `text()` and `arrayBuffer()` read through `readRequestBody` under
 * `maxBytes` (so no route can buffer an unbounded chunked body). When the answer is ready while the
 * body is still arriving, the response closes the connection instead of draining the rest.
 * Without a Node request (`app.request()` in tests) Hono's `bodyLimit` does the same job.
 */
export function requestBodyLimit(maxBytes: number): MiddlewareHandler {
  const fallback = bodyLimit({
    maxSize: maxBytes,
    onError: () => {
      throw tooLarge(maxBytes);
    },
  });
  // Not async itself: a request without a body (most) passes without an extra async step.
  return (c, next) => {
    const incoming = (c.env as { incoming?: IncomingMessage } | undefined)?.incoming;
    if (!incoming) return fallback(c, next);
    const headers = incoming.headers;
    const chunked = headers['transfer-encoding'] !== undefined;
    // No body: nothing to limit, and nothing can still be arriving when the answer is ready.
    if (!chunked && (headers['content-length'] === undefined || headers['content-length'] === '0')) return next();
    if (declaredTooLarge(headers['content-length'], chunked, maxBytes)) throw tooLarge(maxBytes);
    const read = () => readRequestBody(c, maxBytes);
    Object.defineProperties(c.req.raw, {
      arrayBuffer: { value: async () => toArrayBuffer(await read()) },
      text: { value: async () => (await read()).toString('utf8') },
      json: { value: async () => JSON.parse((await read()).toString('utf8')) as unknown },
    });
    return next().then(() => {
      if (!incoming.complete) c.header('Connection', 'close');
    });
  };
}

function toArrayBuffer(buffer: Buffer): ArrayBuffer {
  return buffer.buffer.slice(buffer.byteOffset, buffer.byteOffset + buffer.byteLength) as ArrayBuffer;
}
