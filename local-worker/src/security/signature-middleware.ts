import type { Context, MiddlewareHandler } from 'hono';
import { bodyLimit } from 'hono/body-limit';
import { NonceCache, SignatureError, checkSignatureHeaders, verifyRequest } from '@review-assistant/shared';

export interface SignatureMiddlewareOptions {
  secret: string;
  /** @default a new cache per middleware */
  nonceCache?: NonceCache;
  /** @default 1 MiB */
  maxBodyBytes?: number;
  /** Called for every rejected request (reason only, never the secret). */
  onReject?: (reason: string, path: string) => void;
  /** @default Date.now */
  now?: () => number;
}

/** Context variables the middleware sets: `signatureVerified` is true once a request passed the check. */
export interface SignatureVariables {
  signatureVerified: boolean;
}

/** Whether the request behind `c` passed the signature check (read after the middleware ran). */
export function signatureVerified(c: Context): boolean {
  return (c.var as Partial<SignatureVariables>).signatureVerified === true;
}

function rejectSignature(c: Context, options: SignatureMiddlewareOptions, error: SignatureError, path: string): Response {
  options.onReject?.(error.reason, path);
  // One message for every reason: a prober learns nothing about which check failed.
  return c.json({ error: { code: 'bad_signature', message: 'missing or invalid request signature' } }, 401);
}

/**
 * Rejects any request without a valid HMAC signature with 401, before the route does any work.
 * Order: header shape and ±60 s window first (no body read), then the body is read with a hard
 * size cap (also for chunked uploads without Content-Length), then the HMAC is checked in constant
 * time and the nonce recorded. The Host header plays no part (tunnels rewrite it). The raw body
 * stays readable for handlers (Hono caches it).
 */
export function signatureMiddleware(options: SignatureMiddlewareOptions): MiddlewareHandler {
  const nonceCache = options.nonceCache ?? new NonceCache();
  const maxBodyBytes = options.maxBodyBytes ?? 1024 * 1024;
  const now = options.now ?? Date.now;
  const limitBody = bodyLimit({
    maxSize: maxBodyBytes,
    onError: (c) => c.json({ error: { code: 'payload_too_large', message: `body exceeds ${maxBodyBytes} bytes` } }, 413),
  });
  return async (c, next) => {
    const url = new URL(c.req.url);
    try {
      checkSignatureHeaders((name) => c.req.header(name), { nowMs: now() });
    } catch (error) {
      if (error instanceof SignatureError) return rejectSignature(c, options, error, url.pathname);
      throw error;
    }
    let rejected: Response | undefined;
    const limited = await limitBody(c, async () => {
      const body = new Uint8Array(await c.req.arrayBuffer());
      try {
        verifyRequest({
          secret: options.secret,
          method: c.req.method,
          path: url.pathname + url.search,
          body,
          header: (name) => c.req.header(name),
          nonceCache,
          nowMs: now(),
        });
        (c as Context<{ Variables: SignatureVariables }>).set('signatureVerified', true);
      } catch (error) {
        if (error instanceof SignatureError) {
          rejected = rejectSignature(c, options, error, url.pathname);
          return;
        }
        throw error;
      }
      await next();
    });
    if (rejected) return rejected;
    if (limited instanceof Response) return limited;
    return undefined;
  };
}
