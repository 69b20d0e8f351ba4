import type { MiddlewareHandler } from 'hono';
import { matchedRoutes } from 'hono/route';
import type { Logger } from 'pino';
import type { GatewayMetrics } from '../metrics.js';
import type { GatewayEnv } from './gateway-env.js';
import { setResponseHeaders } from './response-headers.js';

/** The route pattern that handled the request (bounded label set for metrics and logs). */
export function routeLabel(c: Parameters<MiddlewareHandler>[0]): string {
  const handler = matchedRoutes(c)
    .filter((route) => route.method !== 'ALL')
    .at(-1);
  return handler?.path ?? 'unmatched';
}

/** Request ids we accept from clients: short, and only characters that are safe in logs and headers. */
const SAFE_REQUEST_ID = /^[\w\-=]{1,128}$/;

/**
 * The request context: the request id (the client's `X-Request-Id` when it is short and safe,
 * else a new UUID; returned in `X-Request-Id`), a child logger carrying it (`c.var.logger`), then
 * one log line per request (method, route, status, ms, request id) and the request metrics.
 */
export function requestContext(logger: Logger, metrics: GatewayMetrics): MiddlewareHandler<GatewayEnv> {
  return async (c, next) => {
    const started = performance.now();
    const given = c.req.header('x-request-id');
    const requestId = given !== undefined && SAFE_REQUEST_ID.test(given) ? given : crypto.randomUUID();
    c.set('requestId', requestId);
    setResponseHeaders(c, [['X-Request-Id', requestId]]);
    const requestLogger = logger.child({ requestId });
    c.set('logger', requestLogger);
    await next();
    const ms = performance.now() - started;
    const route = routeLabel(c);
    const status = c.res.status;
    metrics.httpRequests.inc({ method: c.req.method, route, status: String(status) });
    metrics.httpDuration.observe({ method: c.req.method, route }, ms / 1000);
    requestLogger.info({ method: c.req.method, route, path: c.req.path, status, ms: Math.round(ms * 100) / 100 }, 'request');
  };
}
