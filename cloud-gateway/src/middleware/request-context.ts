import type { MiddlewareHandler } from 'hono';
import type { Logger } from 'pino';
import { requestContext as edgeRequestContext } from '@review-assistant/shared/edge';
import type { GatewayMetrics } from '../metrics.js';
import type { GatewayEnv } from './gateway-env.js';

/** The edge kit's request context (request id, child logger, one log line) plus the gateway's request metrics. */
export function requestContext(logger: Logger, metrics: GatewayMetrics): MiddlewareHandler<GatewayEnv> {
  return edgeRequestContext({
    logger,
    onFinish: ({ method, route, status, ms }) => {
      metrics.httpRequests.inc({ method, route, status: String(status) });
      metrics.httpDuration.observe({ method, route }, ms / 1000);
    },
  });
}
