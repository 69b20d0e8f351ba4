import type { MiddlewareHandler } from 'hono';
import { matchedRoutes } from 'hono/route';
import type { Logger } from 'pino';
import type { GatewayMetrics } from '../metrics.js';
import type { GatewayEnv } from './gateway-env.js';

/** The route pattern that handled the request (bounded label set for metrics and logs). */
export function routeLabel(c: Parameters<MiddlewareHandler>[0]): string {
  const handler = matchedRoutes(c)
    .filter((route) => route.method !== 'ALL')
    .at(-1);
  return handler?.path ?? 'unmatched';
}

/**
 * Puts a child logger with the request id on the context, then writes one log line per request
 * (method, route, status, ms, request id) and records request metrics.
 */
export function requestContext(logger: Logger, metrics: GatewayMetrics): MiddlewareHandler<GatewayEnv> {
  return async (c, next) => {
    const started = performance.now();
    const requestLogger = logger.child({ requestId: c.get('requestId') });
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
