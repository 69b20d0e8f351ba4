import type { Context } from 'hono';
import { AppError, EmbedResponseSchema, type EmbedRequest, type EmbedResponse } from '@review-assistant/shared';
import type { ChatTurnDeps } from '../../chat/chat-turn.js';
import type { GatewayEnv } from '../../middleware/gateway-env.js';
import type { RateLimiter } from '../../limits/rate-limiter.js';
import type { WorkerPool } from '../../pool/worker-pool.js';
import { clientAbort } from './compat-stream.js';

/** What the OpenAI- and Ollama-compatible route groups are built from. */
export interface CompatRoutesOptions {
  turn: ChatTurnDeps;
  pool: WorkerPool;
  apiKeys: readonly string[];
  /** Per-key token buckets, shared by both APIs. */
  keyLimiter: RateLimiter;
}

/** The largest answer length passed on to the worker (the chat request's `generation.maxTokens` limit). */
export const MAX_GENERATION_TOKENS = 4096;

/** Embeds `input` with the worker's embedding model (one signed `/v1/embed` call), cancelled with the client. */
export async function embedWithWorker(c: Context<GatewayEnv>, pool: WorkerPool, input: EmbedRequest['input']): Promise<EmbedResponse> {
  const controller = clientAbort(c);
  const result = await pool.callJson('/v1/embed', { input }, { requestId: c.get('requestId'), signal: controller.signal });
  const parsed = EmbedResponseSchema.safeParse(result.body);
  if (!parsed.success) throw new AppError('worker_unavailable', `worker ${result.workerId} sent an unexpected /v1/embed response`);
  return parsed.data;
}
