import { Hono } from 'hono';
import {
  AppError,
  HeartbeatSchema,
  NonceCache,
  SignatureError,
  verifyRequest,
} from '@review-assistant/shared';
import type { GatewayEnv } from '../middleware/gateway-env.js';
import { readRequestBody } from '../middleware/request-body.js';
import { describeIssues } from '../middleware/validation.js';
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
 * Signed `POST /internal/workers/heartbeat`: the signature is checked on the raw body before it is
 * parsed or anything is registered; a bad one gets 401 and changes nothing.
 */
export function createHeartbeatRoutes(options: HeartbeatRoutesOptions): Hono<GatewayEnv> {
  const routes = new Hono<GatewayEnv>();
  const nonceCache = options.nonceCache ?? new NonceCache();
  routes.post(
    '/internal/workers/heartbeat',
    async (c) => {
      if (!options.secret) {
        throw new AppError('unauthorized', 'heartbeats are refused: WORKER_SHARED_SECRET is not set on the gateway');
      }
      const raw = await readRequestBody(c, MAX_HEARTBEAT_BYTES);
      const url = new URL(c.req.url);
      try {
        verifyRequest({ secret: options.secret, method: 'POST', path: url.pathname + url.search, body: raw, header: (name) => c.req.header(name), nonceCache });
      } catch (error) {
        if (error instanceof SignatureError) {
          c.get('logger').warn({ reason: error.reason }, 'heartbeat rejected');
          throw new AppError('bad_signature', 'missing or invalid request signature');
        }
        throw error;
      }
      let value: unknown;
      try {
        value = JSON.parse(new TextDecoder().decode(raw));
      } catch {
        throw new AppError('invalid_json', 'heartbeat body is not valid JSON');
      }
      const parsed = HeartbeatSchema.safeParse(value);
      if (!parsed.success) throw new AppError('validation_failed', describeIssues(parsed.error));
      const result = await options.pool.applyHeartbeat(parsed.data);
      const logger = c.get('logger');
      if (result.registered) logger.info({ workerId: parsed.data.workerId, url: parsed.data.url }, 'worker registered');
      else if (result.removed) logger.info({ workerId: parsed.data.workerId }, 'worker said goodbye');
      return c.json({ ok: true, ...result });
    },
  );
  return routes;
}
