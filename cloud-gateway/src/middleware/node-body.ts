import type { IncomingMessage } from 'node:http';
import type { MiddlewareHandler } from 'hono';
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
