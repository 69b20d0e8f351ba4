import type { MiddlewareHandler } from 'hono';
import { cors } from 'hono/cors';
import { secureHeaders } from 'hono/secure-headers';

/**
 * Security headers on every response: a CSP without inline script (the UI and Swagger UI load
 * only same-origin files), no framing, no MIME sniffing, a strict referrer policy.
 */
export function securityHeaders(): MiddlewareHandler {
  return secureHeaders({
    contentSecurityPolicy: {
      defaultSrc: ["'self'"],
      scriptSrc: ["'self'"],
      styleSrc: ["'self'"],
      imgSrc: ["'self'", 'data:'],
      connectSrc: ["'self'"],
      frameAncestors: ["'none'"],
      baseUri: ["'none'"],
      formAction: ["'self'"],
    },
    xFrameOptions: 'DENY',
    xContentTypeOptions: 'nosniff',
    referrerPolicy: 'strict-origin-when-cross-origin',
    crossOriginEmbedderPolicy: false,
  });
}

/** CORS is closed unless origins are configured: then only those origins, only for the API. */
export function corsPolicy(origins: readonly string[]): MiddlewareHandler | undefined {
  if (origins.length === 0) return undefined;
  return cors({ origin: [...origins], allowMethods: ['GET', 'POST'], allowHeaders: ['Content-Type', 'Authorization', 'X-API-Key', 'X-Request-Id'], exposeHeaders: ['X-Request-Id', 'Retry-After'], maxAge: 600 });
}
