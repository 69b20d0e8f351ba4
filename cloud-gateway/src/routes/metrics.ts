import { Hono } from 'hono';
import { AppError } from '@review-assistant/shared';
import { requestHeader } from '@review-assistant/shared/edge';
import type { GatewayMetrics } from '../metrics.js';
import type { GatewayEnv } from '../middleware/gateway-env.js';
import { isLoopbackAddress } from '../middleware/rate-limit.js';
import { EDGE_SECRET_HEADER, VIEWER_ADDRESS_HEADER } from '../middleware/trusted-edge.js';
import { requireToken, SecretSet } from '../middleware/token-auth.js';
import { addRoute, declareRoute } from './route-declaration.js';
import { contentResponse, errorResponses, METRICS_TOKEN } from './route-responses.js';

export interface MetricsRoutesOptions {
  /** `METRICS_TOKEN`; unset: loopback clients only. */
  token: string | undefined;
}

/** Headers a proxy or the edge adds: a request carrying one was forwarded, whatever its socket. */
const FORWARDING_HEADERS = ['x-forwarded-for', 'forwarded', VIEWER_ADDRESS_HEADER, EDGE_SECRET_HEADER];

const metricsRoute = declareRoute({
  method: 'get',
  path: '/metrics',
  summary: 'Prometheus metrics',
  description: 'Loopback clients read it freely; anyone else needs `Authorization: Bearer <METRICS_TOKEN>` (403 when none is configured).',
  tags: ['operations'],
  security: METRICS_TOKEN,
  responses: {
    200: contentResponse('Prometheus text exposition format', 'text/plain'),
    ...errorResponses([401, [403, 'Not a loopback client and METRICS_TOKEN is not set'], 429]),
  },
});

/**
 * `GET /metrics` in the Prometheus text format, not public: loopback clients (the CloudWatch
 * agent, a local scraper) read it freely; anyone else needs `Authorization: Bearer <METRICS_TOKEN>`
 * (403 when no token is configured), with failed attempts limited per client IP.
 */
export function createMetricsRoutes(metrics: GatewayMetrics, options: MetricsRoutesOptions): Hono<GatewayEnv> {
  const routes = new Hono<GatewayEnv>();
  const secrets = new SecretSet(options.token === undefined ? [] : [options.token]);
  addRoute(routes, metricsRoute, async (c) => {
    // Loopback is the socket's own peer, never an address a header names (X-Forwarded-For, the
    // edge's viewer address): those are the client's word, or the edge's, not the host's. A same-host
    // proxy (Caddy) makes every public request come from loopback, so a forwarded request never counts.
    const forwarded = FORWARDING_HEADERS.some((name) => requestHeader(c, name) !== undefined);
    if (forwarded || !isLoopbackAddress(c.env?.incoming?.socket?.remoteAddress)) {
      if (secrets.size === 0) throw new AppError('forbidden', 'metrics are served to loopback clients only; set METRICS_TOKEN to read them remotely');
      requireToken(c, { secrets, realm: 'metrics', missing: 'metrics need Authorization: Bearer <METRICS_TOKEN>', invalid: 'invalid metrics token' });
    }
    c.header('Content-Type', metrics.registry.contentType);
    c.header('Cache-Control', 'no-store');
    return c.body(await metrics.registry.metrics());
  });
  return routes;
}
