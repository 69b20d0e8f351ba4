import { Hono, type Context } from 'hono';
import { AppError, HeartbeatSchema, NonceCache } from '@review-assistant/shared';
import { signatureMiddleware } from '@review-assistant/shared/edge';
import type { GatewayEnv } from '../middleware/gateway-env.js';
import { jsonBody } from '@review-assistant/shared/edge';
import type { WorkerPool } from '../pool/worker-pool.js';

export interface HeartbeatRoutesOptions {
  pool: WorkerPool;
  /** Unset: heartbeats are refused (nobody could sign them). */
  secret: string | undefined;
  /** @default a new cache */
  nonceCache?: NonceCache;
}

const MAX_HEARTBEAT_BYTES = 64 * 1024;

/**
 * Signed `POST /internal/workers/heartbeat`: the shared signature middleware (the worker's own)
 * checks the raw body before it is parsed or anything is registered; a bad signature gets 401 and
 * changes nothing. Then the one JSON validator.
 */
export function createHeartbeatRoutes(options: HeartbeatRoutesOptions): Hono<GatewayEnv> {
  const routes = new Hono<GatewayEnv>();
  const secret = options.secret;
  if (!secret) {
    routes.post('/internal/workers/heartbeat', () => {
      throw new AppError('unauthorized', 'heartbeats are refused: WORKER_SHARED_SECRET is not set on the gateway');
    });
    return routes;
  }
  const signed = signatureMiddleware({
    secret,
    nonceCache: options.nonceCache ?? new NonceCache(),
    maxBodyBytes: MAX_HEARTBEAT_BYTES,
    onReject: (reason, _path, c) => (c as Context<GatewayEnv>).get('logger')?.warn({ reason }, 'heartbeat rejected'),
  });
  routes.post(
    '/internal/workers/heartbeat',
    signed,
    jsonBody(HeartbeatSchema),
    async (c) => {
      const heartbeat = c.req.valid('json');
      const result = await options.pool.applyHeartbeat(heartbeat);
      const requestLogger = c.get('logger');
      if (result.registered) requestLogger.info({ workerId: heartbeat.workerId, url: heartbeat.url }, 'worker registered');
      else if (result.removed) requestLogger.info({ workerId: heartbeat.workerId }, 'worker said goodbye');
      return c.json({ ok: true, ...result });
    },
  );
  return routes;
}
