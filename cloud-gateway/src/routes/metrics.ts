import { Hono } from 'hono';
import type { GatewayMetrics } from '../metrics.js';
import type { GatewayEnv } from '../middleware/gateway-env.js';

/** `GET /metrics` in the Prometheus text format. */
export function createMetricsRoutes(metrics: GatewayMetrics): Hono<GatewayEnv> {
  const routes = new Hono<GatewayEnv>();
  routes.get('/metrics', async (c) => {
    c.header('Content-Type', metrics.registry.contentType);
    return c.body(await metrics.registry.metrics());
  });
  return routes;
}
