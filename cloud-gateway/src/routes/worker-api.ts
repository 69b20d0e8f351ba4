import { Hono } from 'hono';
import type { z } from 'zod';
import {
  AppError,
  EmbedRequestSchema,
  EmbedResponseSchema,
  GenerateRequestSchema,
  GenerateResponseSchema,
  RetrieveRequestSchema,
  RetrieveResponseSchema,
} from '@review-assistant/shared';
import { outcomeStatus } from '../chat/chat-turn-outcome.js';
import type { RateLimiter } from '../limits/rate-limiter.js';
import { apiKeyAccess } from './compat/api-key-access.js';
import { clientAbort } from './compat/compat-stream.js';
import type { GatewayEnv } from '../middleware/gateway-env.js';
import { addRoute, declareRoute } from './route-declaration.js';
import { API_KEY, errorResponses, jsonResponse } from './route-responses.js';
import type { RecentRequests } from '../pool/recent-requests.js';
import type { WorkerPool } from '../pool/worker-pool.js';

export interface WorkerApiRoutesOptions {
  pool: WorkerPool;
  apiKeys: readonly string[];
  /** The per-key limit the compatible APIs use: one budget per key across every keyed route. */
  keyLimiter: RateLimiter;
  recentRequests: RecentRequests;
}

/** A worker API route: declared with the body it validates and the worker answer it passes on. */
function forwarded(name: string, requestSchema: z.ZodType, responseSchema: z.ZodType, summary: string) {
  const declaration = declareRoute({
    method: 'post',
    path: `/api/${name}`,
    summary,
    description: `Needs an API key; forwarded (signed) to a worker's \`/v1/${name}\`.`,
    tags: ['worker API'],
    security: API_KEY,
    request: { body: requestSchema },
    responses: { 200: jsonResponse('Worker response', responseSchema), ...errorResponses([400, 401, 403, 413, 415, 429, 502, 503, 504]) },
  });
  return { workerPath: `/v1/${name}`, declaration, responseSchema };
}

const forwardedRoutes = [
  forwarded('embed', EmbedRequestSchema, EmbedResponseSchema, "Embed texts with the worker's embedding model"),
  forwarded('retrieve', RetrieveRequestSchema, RetrieveResponseSchema, 'Top-k reviews for a query'),
  forwarded('generate', GenerateRequestSchema, GenerateResponseSchema, "Generate text with the worker's chat model"),
];

/** `POST /api/embed|retrieve|generate` behind API keys, forwarded (signed) to a worker. */
export function createWorkerApiRoutes(options: WorkerApiRoutesOptions): Hono<GatewayEnv> {
  const routes = new Hono<GatewayEnv>();
  const auth = apiKeyAccess(options.apiKeys, options.keyLimiter);
  for (const { workerPath, declaration, responseSchema } of forwardedRoutes) {
    addRoute(routes, declaration, auth, async (c) => {
      const started = performance.now();
      const requestId = c.get('requestId');
      let status = 'ok';
      let workerId: string | null = null;
      try {
        const result = await options.pool.callJson(workerPath, c.req.valid('json'), { requestId, signal: clientAbort(c).signal });
        workerId = result.workerId;
        const parsed = responseSchema.safeParse(result.body);
        if (!parsed.success) throw new AppError('worker_unavailable', `worker ${result.workerId} sent an unexpected ${workerPath} response`);
        return c.json(parsed.data as object);
      } catch (error) {
        status = outcomeStatus({ kind: 'failed', code: error instanceof AppError ? error.code : 'internal', retryable: false });
        throw error;
      } finally {
        options.recentRequests.add({ time: new Date().toISOString(), requestId, workerId, route: 'api', intent: null, status, ms: Math.round(performance.now() - started) });
      }
    });
  }
  return routes;
}
