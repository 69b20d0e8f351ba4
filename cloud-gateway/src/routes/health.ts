import { Hono } from 'hono';
import { APP_VERSION, type GatewayStatus } from '@review-assistant/shared';
import type { IntentModelStatus, IntentService } from '../intent/classifier.js';
import type { GatewayEnv } from '../middleware/gateway-env.js';
import type { WorkerPool } from '../pool/worker-pool.js';

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

/**
 * `/healthz`: the process is alive. `/readyz`: ready when the intent model is loaded (worker
 * availability is reported, never a reason to fail: chat degrades gracefully without workers).
 * `/api/status`: the UI's badge.
 */
export function createHealthRoutes(options: HealthRoutesOptions): Hono<GatewayEnv> {
  const routes = new Hono<GatewayEnv>();
  routes.get('/healthz', (c) => c.json({ status: 'ok', version: APP_VERSION }));
  routes.get('/readyz', (c) => {
    const status = gatewayStatus(options);
    const ready = status.intentModel.ready;
    return c.json({ ready, intentModel: status.intentModel, workers: { state: status.workers, up: status.workersUp, backend: status.backend } }, ready ? 200 : 503);
  });
  routes.get('/api/status', (c) => {
    c.header('Cache-Control', 'no-store');
    return c.json(gatewayStatus(options));
  });
  return routes;
}
