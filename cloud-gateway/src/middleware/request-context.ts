import type { Context, MiddlewareHandler } from 'hono';
import type { Logger } from 'pino';
import { requestContext as edgeRequestContext } from '@review-assistant/shared/edge';
import type { GatewayMetrics } from '../metrics.js';
import type { GatewayEnv } from './gateway-env.js';
import { SECURITY_HEADERS } from './security-headers.js';
import type { FailedAttempts } from './token-auth.js';

/**
 * The edge kit's request context (request id, child logger, one log line) plus what every gateway
 * request gets: the security headers, the app's failed-credential counter (`c.var.failedAttempts`)
 * and the request metrics.
 */
export function requestContext(logger: Logger, metrics: GatewayMetrics, failedAttempts: FailedAttempts): MiddlewareHandler<GatewayEnv> {
  return edgeRequestContext({
    logger,
    responseHeaders: SECURITY_HEADERS,
    onStart: (c) => (c as Context<GatewayEnv>).set('failedAttempts', failedAttempts),
    onFinish: ({ method, route, status, ms }) => metrics.requests.record(method, route, status, ms / 1000),
  });
}
