import type { MiddlewareHandler } from 'hono';
import { cors } from 'hono/cors';

const CONTENT_SECURITY_POLICY = [
  "default-src 'self'",
  "script-src 'self'",
  "style-src 'self'",
  "img-src 'self' data:",
  "connect-src 'self'",
  "frame-ancestors 'none'",
  "base-uri 'none'",
  "form-action 'self'",
].join('; ');

/**
 * The headers of every response: a CSP without inline script (the UI and Swagger UI load only
 * same-origin files), no framing, no MIME sniffing, a strict referrer policy, and the rest of the
 * set Hono's `secureHeaders` sends by default (same values), computed once instead of per request.
 * A route may override one (the admin pages set a stricter CSP). The request context sets them
 * (`middleware/request-context.ts`). Names in lower case, as Node stores them: `setHeader` then
 * needs no lower-cased copy of each name per response.
 */
export const SECURITY_HEADERS: readonly (readonly [string, string])[] = [
  ['content-security-policy', CONTENT_SECURITY_POLICY],
  ['cross-origin-opener-policy', 'same-origin'],
  ['cross-origin-resource-policy', 'same-origin'],
  ['origin-agent-cluster', '?1'],
  ['referrer-policy', 'strict-origin-when-cross-origin'],
  ['strict-transport-security', 'max-age=15552000; includeSubDomains'],
  ['x-content-type-options', 'nosniff'],
  ['x-dns-prefetch-control', 'off'],
  ['x-download-options', 'noopen'],
  ['x-frame-options', 'DENY'],
  ['x-permitted-cross-domain-policies', 'none'],
  ['x-xss-protection', '0'],
];

/** CORS is closed unless origins are configured: then only those origins, only for the API. */
export function corsPolicy(origins: readonly string[]): MiddlewareHandler | undefined {
  if (origins.length === 0) return undefined;
  return cors({ origin: [...origins], allowMethods: ['GET', 'POST'], allowHeaders: ['Content-Type', 'Authorization', 'X-API-Key', 'X-Request-Id'], exposeHeaders: ['X-Request-Id', 'Retry-After'], maxAge: 600 });
}
