import type { Context, MiddlewareHandler } from 'hono';
import { matchedRoutes } from 'hono/route';
import { randomBytes } from 'node:crypto';
import { requestHeader } from './request-header.js';
import { setResponseHeaders } from './response-headers.js';

/** The part of a pino logger the request context uses (structural, so the kit needs no pino). */
export interface RequestLogger {
  child(bindings: Record<string, unknown>): RequestLogger;
  info(object: object, message: string): void;
}

/** Context variables the request context sets. */
export interface RequestContextVariables {
  requestId: string;
  logger: RequestLogger;
  /** A route that logs its own line when its stream ends sets this; the request line is skipped. */
  logsOwnLine: boolean;
}

/** What one finished request looked like, for metrics. */
export interface FinishedRequest {
  method: string;
  /** The route pattern that handled it (bounded label set), or `unmatched`. */
  route: string;
  status: number;
  ms: number;
}

export interface RequestContextOptions {
  logger: RequestLogger;
  /** Headers every response carries besides `X-Request-Id` (e.g. security headers), set with it in one step; a route may override one. */
  responseHeaders?: readonly (readonly [string, string])[];
  /** Called once per request before the route runs, e.g. to set the app's own context variables. */
  onStart?: (c: Context) => void;
  /** Called once per request after the response is ready (metrics). */
  onFinish?: (request: FinishedRequest) => void;
}

/** Request ids we accept from clients: short, and only characters that are safe in logs and headers. */
const SAFE_REQUEST_ID = /^[\w\-=.:]{1,128}$/;

/** The 48-bit counter is kept as two 24-bit halves: small integers, which V8 prints in hex much faster than a 48-bit number. */
const HALF = 2 ** 24;
/** `n` (below 2^24) as 6 hex digits. */
const hex6 = (n: number) => (n + HALF).toString(16).slice(1);

/**
 * A request id maker: ids in UUID layout (8-4-4-4-12 hex digits), 80 random bits drawn once (the
 * first 20 hex digits) and a 48-bit counter that starts at a random offset (or `start`), so the ids
 * a client reads in `X-Request-Id` do not tell how many requests the process served. Unique across
 * the gateways and workers that share a log (a collision needs two makers drawing the same 80 bits)
 * at the price of a string concatenation. Request ids label logs and records; nothing uses them as
 * a secret, so they need not be unguessable.
 */
export function requestIdMaker(start?: number): () => string {
  const prefix = randomBytes(10).toString('hex').replace(/^(.{8})(.{4})(.{4})(.{4})$/, '$1-$2-$3-$4-');
  const first = start ?? randomBytes(6).readUIntBE(0, 6);
  let high = Math.floor(first / HALF) % HALF;
  let low = first % HALF;
  // the prefix and the counter's upper half, rebuilt when the lower half wraps
  let head = prefix + hex6(high);
  return () => {
    low += 1;
    if (low === HALF) {
      low = 0;
      high = high === HALF - 1 ? 0 : high + 1;
      head = prefix + hex6(high);
    }
    return head + hex6(low);
  };
}

/** A new request id from this process's maker (`requestIdMaker`). */
export const newRequestId: () => string = requestIdMaker();

/** The route pattern that handled the request (bounded label set for metrics and logs). */
export function routeLabel(c: Context): string {
  const routes = matchedRoutes(c);
  for (let index = routes.length - 1; index >= 0; index -= 1) {
    const route = routes[index]!;
    if (route.method !== 'ALL') return route.path;
  }
  return 'unmatched';
}

/**
 * The one request context of both services: the request id (the client's `X-Request-Id` when it
 * is short and safe, else a new one, `newRequestId`; returned in `X-Request-Id`), a child logger carrying it
 * (`c.var.logger`), the headers every response carries, then one log line per request (method,
 * route, path, status, ms, request id) and `onFinish` for metrics. One middleware rather than one
 * per concern: each step of Hono's chain costs an async call per request.
 */
export function requestContext(options: RequestContextOptions): MiddlewareHandler {
  const responseHeaders = options.responseHeaders ?? [];
  return async (c, next) => {
    const started = performance.now();
    const given = requestHeader(c, 'x-request-id');
    const requestId = given !== undefined && SAFE_REQUEST_ID.test(given) ? given : newRequestId();
    const context = c as Context<{ Variables: RequestContextVariables }>;
    context.set('requestId', requestId);
    setResponseHeaders(c, responseHeaders);
    setResponseHeaders(c, [['x-request-id', requestId]]);
    const logger = options.logger.child({ requestId });
    context.set('logger', logger);
    options.onStart?.(c);
    await next();
    const ms = performance.now() - started;
    const route = routeLabel(c);
    const status = c.res.status;
    options.onFinish?.({ method: c.req.method, route, status, ms });
    if (context.get('logsOwnLine') !== true) {
      logger.info({ method: c.req.method, route, path: c.req.path, status, ms: Math.round(ms * 100) / 100 }, 'request');
    }
  };
}
