import type { Context, MiddlewareHandler } from 'hono';
import { matchedRoutes } from 'hono/route';
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
  /** Called once per request after the response is ready (metrics). */
  onFinish?: (request: FinishedRequest) => void;
}

/** Request ids we accept from clients: short, and only characters that are safe in logs and headers. */
const SAFE_REQUEST_ID = /^[\w\-=.:]{1,128}$/;

/** The route pattern that handled the request (bounded label set for metrics and logs). */
export function routeLabel(c: Context): string {
  const handler = matchedRoutes(c)
    .filter((route) => route.method !== 'ALL')
    .at(-1);
  return handler?.path ?? 'unmatched';
}

/**
 * The one request context of both services: the request id (the client's `X-Request-Id` when it
 * is short and safe, else a new UUID; returned in `X-Request-Id`), a child logger carrying it
 * (`c.var.logger`), then one log line per request (method, route, path, status, ms, request id)
 * and `onFinish` for metrics.
 */
export function requestContext(options: RequestContextOptions): MiddlewareHandler {
  return async (c, next) => {
    const started = performance.now();
    const given = c.req.header('x-request-id');
    const requestId = given !== undefined && SAFE_REQUEST_ID.test(given) ? given : crypto.randomUUID();
    const context = c as Context<{ Variables: RequestContextVariables }>;
    context.set('requestId', requestId);
    setResponseHeaders(c, [['X-Request-Id', requestId]]);
    const logger = options.logger.child({ requestId });
    context.set('logger', logger);
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
