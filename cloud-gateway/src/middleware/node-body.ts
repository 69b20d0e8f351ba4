import type { IncomingMessage } from 'node:http';
import type { MiddlewareHandler } from 'hono';
import { bodyLimit } from 'hono/body-limit';
import { AppError } from '@review-assistant/shared';
import type { GatewayEnv } from './gateway-env.js';

/**
 * Reads a request body with a declared `Content-Length` straight from Node's `IncomingMessage`
 * into Hono's body cache, so `c.req.json()` parses it without first turning the request into a
 * WHATWG `Request` with a web stream body (a measurable share of a chat turn's CPU on the
 * gateway). The app's `bodyLimit` has already refused declared lengths above the limit; the cap
 * here guards the read itself. Without a Node request (`app.request()` in tests) or without a
 * `Content-Length` (chunked bodies), nothing changes and Hono reads the body as usual.
 */
export function nodeBody(maxBytes: number): MiddlewareHandler<GatewayEnv> {
  return async (c, next) => {
    const incoming = (c.env as { incoming?: IncomingMessage } | undefined)?.incoming;
    const declared = incoming?.headers['content-length'];
    if (incoming && declared !== undefined && !incoming.readableEnded && c.req.bodyCache.text === undefined && c.req.bodyCache.arrayBuffer === undefined) {
      const length = Number(declared);
      if (Number.isSafeInteger(length) && length <= maxBytes) {
        const text = readAll(incoming, maxBytes);
        // Read even when no handler asks for it (e.g. a 415): a failed read must not go unhandled.
        text.catch(() => undefined);
        // Hono keeps promises in its body cache (its type declares the resolved values).
        (c.req.bodyCache as Record<string, unknown>).text = text;
      }
    }
    await next();
  };
}

function readAll(incoming: IncomingMessage, maxBytes: number): Promise<string> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    const fail = (error: unknown) => {
      cleanup();
      reject(error);
    };
    const onData = (chunk: Buffer) => {
      size += chunk.byteLength;
      if (size > maxBytes) {
        fail(new AppError('payload_too_large', `request bodies are limited to ${maxBytes} bytes`));
        return;
      }
      chunks.push(chunk);
    };
    const onEnd = () => {
      cleanup();
      resolve(chunks.length === 1 ? chunks[0]!.toString('utf8') : Buffer.concat(chunks).toString('utf8'));
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

/**
 * Hono's `bodyLimit`, minus one cost on Node: it reads `c.req.raw.body` first, which makes
 * `@hono/node-server` build a full WHATWG `Request` (undici, an `AbortController`, a web stream)
 * for every request, even when the body is later read straight from Node (`nodeBody`). When the
 * Node request declares a `Content-Length` without `Transfer-Encoding` and has a body (not GET or
 * HEAD), the declared length decides here, exactly as `bodyLimit` decides it; every other request
 * (chunked bodies, `app.request()` in tests) goes through `bodyLimit` unchanged.
 */
export function nodeBodyLimit(maxBytes: number, onError: () => never): MiddlewareHandler<GatewayEnv> {
  const fallback = bodyLimit({ maxSize: maxBytes, onError });
  return async (c, next) => {
    const incoming = (c.env as { incoming?: IncomingMessage } | undefined)?.incoming;
    if (incoming && incoming.method !== 'GET' && incoming.method !== 'HEAD') {
      const declared = incoming.headers['content-length'];
      if (declared !== undefined && incoming.headers['transfer-encoding'] === undefined) {
        if (Number.parseInt(declared || '0', 10) > maxBytes) onError();
        await next();
        return;
      }
    }
    await fallback(c, next);
  };
}
