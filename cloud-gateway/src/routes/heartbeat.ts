import { Hono, type Context, type MiddlewareHandler } from 'hono';
import { z } from 'zod';
import { AppError, HeartbeatSchema, NonceCache } from '@review-assistant/shared';
import { signatureMiddleware } from '@review-assistant/shared/edge';
import type { GatewayEnv } from '../middleware/gateway-env.js';
import type { WorkerPool } from '../pool/worker-pool.js';
import { addRoute, declareRoute } from './route-declaration.js';
import { errorResponses, jsonResponse, WORKER_SIGNATURE } from './route-responses.js';

export interface HeartbeatRoutesOptions {
  pool: WorkerPool;
  /** Unset: heartbeats are refused (nobody could sign them). */
  secret: string | undefined;
  /** @default a new cache */
  nonceCache?: NonceCache;
}

const MAX_HEARTBEAT_BYTES = 64 * 1024;

const heartbeatRoute = declareRoute({
  method: 'post',
  path: '/internal/workers/heartbeat',
  summary: 'Worker heartbeat (HMAC-signed with WORKER_SHARED_SECRET)',
  description: 'Sent by a worker straight to the gateway (not through the tunnel). A bad signature gets 401 before the body is parsed or anything is registered.',
  tags: ['workers'],
  security: WORKER_SIGNATURE,
  request: {
    body: HeartbeatSchema,
    maxBodyBytes: MAX_HEARTBEAT_BYTES,
    headers: z.object({ 'x-signature-timestamp': z.string(), 'x-signature-nonce': z.string(), 'x-signature': z.string() }),
  },
  responses: {
    200: jsonResponse('Registered or updated', z.object({ ok: z.boolean(), registered: z.boolean(), removed: z.boolean() })),
    ...errorResponses([400, [401, 'Bad, stale or reused signature, or WORKER_SHARED_SECRET unset on the gateway'], 409, 413, 415, 429]),
  },
});

const refuseHeartbeats: MiddlewareHandler<GatewayEnv> = () => {
  throw new AppError('unauthorized', 'heartbeats are refused: WORKER_SHARED_SECRET is not set on the gateway');
};

/**
 * Signed `POST /internal/workers/heartbeat`: the shared signature middleware (the worker's own)
 * checks the raw body before it is parsed or anything is registered; a bad signature gets 401 and
 * changes nothing. Then the one JSON validator.
 */
export function createHeartbeatRoutes(options: HeartbeatRoutesOptions): Hono<GatewayEnv> {
  const routes = new Hono<GatewayEnv>();
  const secret = options.secret;
  const signed = secret
    ? signatureMiddleware({
        secret,
        nonceCache: options.nonceCache ?? new NonceCache(),
        maxBodyBytes: MAX_HEARTBEAT_BYTES,
        onReject: (reason, _path, c) => (c as Context<GatewayEnv>).get('logger')?.warn({ reason }, 'heartbeat rejected'),
      })
    : refuseHeartbeats;
  addRoute(routes, heartbeatRoute, signed, async (c) => {
    const heartbeat = c.req.valid('json');
    const result = await options.pool.applyHeartbeat(heartbeat);
    const requestLogger = c.get('logger');
    if (result.registered) requestLogger.info({ workerId: heartbeat.workerId, url: heartbeat.url }, 'worker registered');
    else if (result.removed) requestLogger.info({ workerId: heartbeat.workerId }, 'worker said goodbye');
    return c.json({ ok: true, ...result });
  });
  return routes;
}
