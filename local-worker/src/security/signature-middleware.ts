import type { MiddlewareHandler } from 'hono';
import { NonceCache, SignatureError, verifyRequest } from '@review-assistant/shared';

export interface SignatureMiddlewareOptions {
  secret: string;
  /** @default a new cache per middleware */
  nonceCache?: NonceCache;
  /** @default 1 MiB */
  maxBodyBytes?: number;
  /** Called for every rejected request (reason only, never the secret). */
  onReject?: (reason: string, path: string) => void;
}

/**
 * Rejects any request without a valid HMAC signature with 401, before the route does any work.
 * The raw body is read once here (it is part of what is signed) and stays readable for handlers.
 */
export function signatureMiddleware(options: SignatureMiddlewareOptions): MiddlewareHandler {
  const nonceCache = options.nonceCache ?? new NonceCache();
  const maxBodyBytes = options.maxBodyBytes ?? 1024 * 1024;
  return async (c, next) => {
    const declared = Number(c.req.header('content-length') ?? '0');
    if (declared > maxBodyBytes) {
      return c.json({ error: { code: 'payload_too_large', message: `body exceeds ${maxBodyBytes} bytes` } }, 413);
    }
    const body = new Uint8Array(await c.req.arrayBuffer());
    if (body.byteLength > maxBodyBytes) {
      return c.json({ error: { code: 'payload_too_large', message: `body exceeds ${maxBodyBytes} bytes` } }, 413);
    }
    const url = new URL(c.req.url);
    try {
      verifyRequest({
        secret: options.secret,
        method: c.req.method,
        path: url.pathname + url.search,
        body,
        header: (name) => c.req.header(name),
        nonceCache,
      });
    } catch (error) {
      if (error instanceof SignatureError) {
        options.onReject?.(error.reason, url.pathname);
        return c.json({ error: { code: 'bad_signature', message: 'missing or invalid request signature' } }, 401);
      }
      throw error;
    }
    await next();
  };
}
