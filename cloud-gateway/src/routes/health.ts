import { Hono } from 'hono';
import { z } from 'zod';
import { APP_VERSION, GatewayStatusSchema, type GatewayStatus } from '@review-assistant/shared';
import type { IntentModelStatus, IntentService } from '../intent/classifier.js';
import type { GatewayEnv } from '../middleware/gateway-env.js';
import type { WorkerPool } from '../pool/worker-pool.js';
import { addRoute, declareRoute } from './route-declaration.js';
import { jsonResponse } from './route-responses.js';

export interface HealthRoutesOptions {
  intent: IntentService;
  pool: WorkerPool;
}

/**
 * The intent model's load state as public endpoints show it: loading or unavailable, never the
 * loader's own message (an S3 error names the bucket, a file error the path; those are logged).
 */
export function publicModelStatus(status: IntentModelStatus): IntentModelStatus {
  if (status.ready) return { ready: true, version: status.version, message: null };
  // The loader reports progress as "loading ..." and anything else as a failure.
  const loading = status.message === null || status.message.startsWith('loading');
  return { ready: false, version: null, message: loading ? 'the intent model is loading' : 'the intent model could not be loaded; the gateway log has the cause' };
}

/** What the status badge shows: online with a ready worker, warming up while some exist, else offline. */
export function gatewayStatus(options: HealthRoutesOptions): GatewayStatus {
  const workers = options.pool.availability();
  const intentModel = options.intent.status();
  return {
    workers: workers.ready > 0 ? 'online' : workers.up > 0 ? 'warming-up' : 'offline',
    workersUp: workers.up,
    backend: workers.backend,
    intentModel: publicModelStatus(intentModel),
    version: APP_VERSION,
  };
}

const ReadinessSchema = z.object({
  ready: z.boolean().describe('The intent model is loaded'),
  intentModel: GatewayStatusSchema.shape.intentModel,
  workers: z.object({ state: GatewayStatusSchema.shape.workers, up: GatewayStatusSchema.shape.workersUp, backend: GatewayStatusSchema.shape.backend }),
});

const healthzRoute = declareRoute({
  method: 'get',
  path: '/healthz',
  summary: 'Liveness: the process answers',
  tags: ['operations'],
  responses: { 200: jsonResponse('Alive', z.object({ status: z.literal('ok'), version: z.string() })) },
});
const readyzRoute = declareRoute({
  method: 'get',
  path: '/readyz',
  summary: 'Readiness: the intent model is loaded (worker availability is reported, not required)',
  tags: ['operations'],
  responses: { 200: jsonResponse('Ready', ReadinessSchema), 503: jsonResponse('Not ready yet (same body, `ready: false`)', ReadinessSchema) },
});
const statusRoute = declareRoute({
  method: 'get',
  path: '/api/status',
  summary: 'Worker and intent-model status for the UI badge',
  tags: ['operations'],
  responses: { 200: jsonResponse('Status', GatewayStatusSchema) },
});

/**
 * `/healthz`: the process is alive. `/readyz`: ready when the intent model is loaded (worker
 * availability is reported, never a reason to fail: chat degrades gracefully without workers).
 * `/api/status`: the UI's badge.
 */
export function createHealthRoutes(options: HealthRoutesOptions): Hono<GatewayEnv> {
  const routes = new Hono<GatewayEnv>();
  addRoute(routes, healthzRoute, (c) => c.json({ status: 'ok', version: APP_VERSION }));
  addRoute(routes, readyzRoute, (c) => {
    const status = gatewayStatus(options);
    const ready = status.intentModel.ready;
    const body: z.input<typeof ReadinessSchema> = { ready, intentModel: status.intentModel, workers: { state: status.workers, up: status.workersUp, backend: status.backend } };
    return c.json(body, ready ? 200 : 503);
  });
  addRoute(routes, statusRoute, (c) => {
    c.header('Cache-Control', 'no-store');
    return c.json(gatewayStatus(options));
  });
  return routes;
}
