import type { Context, MiddlewareHandler } from 'hono';
import { AppError } from '../errors.js';
import { NonceCache, SignatureError, checkSignatureHeaders, verifyRequest } from '../signing.js';
import { readRequestBody } from './request-body.js';

export interface SignatureMiddlewareOptions {
  secret: string;
  /** @default a new cache per middleware */
  nonceCache?: NonceCache;
  /** @default 1 MiB */
  maxBodyBytes?: number;
  /** Called for every rejected request (reason only, never the secret), with the request's context. */
  onReject?: (reason: string, path: string, c: Context) => void;
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

function rejection(options: SignatureMiddlewareOptions, error: SignatureError, path: string, c: Context): AppError {
  options.onReject?.(error.reason, path, c);
  // One message for every reason: a prober learns nothing about which check failed.
  return new AppError('bad_signature', 'missing or invalid request signature');
}

/**
 * The one signature check of both services (the worker's every route, the gateway's heartbeat):
 * throws 401 `bad_signature` (rendered by the app's error handler) for any request without a valid
 * HMAC signature, before the route does any work. Order: header shape and ±60 s window first (no
 * body read), then the body through `readRequestBody` (hard size cap, 413, chunked included), then
 * the HMAC in constant time and the nonce recorded. The Host header plays no part (tunnels rewrite
 * it). The raw body stays readable for handlers (it is put in Hono's body cache).
 */
export function signatureMiddleware(options: SignatureMiddlewareOptions): MiddlewareHandler {
  const nonceCache = options.nonceCache ?? new NonceCache();
  const maxBodyBytes = options.maxBodyBytes ?? 1024 * 1024;
  const now = options.now ?? Date.now;
  return async (c, next) => {
    const url = new URL(c.req.url);
    try {
      checkSignatureHeaders((name) => c.req.header(name), { nowMs: now() });
    } catch (error) {
      if (error instanceof SignatureError) throw rejection(options, error, url.pathname, c);
      throw error;
    }
    const body = await readRequestBody(c, maxBodyBytes);
    try {
      verifyRequest({
        secret: options.secret,
        method: c.req.method,
        path: url.pathname + url.search,
        body: new Uint8Array(body.buffer, body.byteOffset, body.byteLength),
        header: (name) => c.req.header(name),
        nonceCache,
        nowMs: now(),
      });
    } catch (error) {
      if (error instanceof SignatureError) throw rejection(options, error, url.pathname, c);
      throw error;
    }
    (c as Context<{ Variables: SignatureVariables }>).set('signatureVerified', true);
    await next();
  };
}
