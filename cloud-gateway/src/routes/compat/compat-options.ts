import type { Context } from 'hono';
import { AppError, EmbedResponseSchema, type EmbedRequest, type EmbedResponse } from '@review-assistant/shared';
import type { ChatTurnDeps } from '../../chat/chat-turn.js';
import type { GatewayEnv } from '../../middleware/gateway-env.js';
import type { RateLimiter } from '../../limits/rate-limiter.js';
import type { WorkerPool } from '../../pool/worker-pool.js';
import { CLIENT_WRITE_TIMEOUT_MS, SSE_KEEP_ALIVE_MS } from '../sse-writer.js';
import { clientAbort } from './compat-stream.js';

/** What the OpenAI- and Ollama-compatible route groups are built from. */
export interface CompatRoutesOptions {
  turn: ChatTurnDeps;
  pool: WorkerPool;
  apiKeys: readonly string[];
  /** Per-key token buckets, shared by both APIs. */
  keyLimiter: RateLimiter;
  /** How streamed answers start and stay alive (defaults suit production; tests shorten them). */
  streaming?: CompatStreaming;
}

export interface CompatStreaming {
  /**
   * How long a streamed request waits for the turn's first piece before sending the status line:
   * failures within it (no worker, worker busy) are HTTP errors; after it the stream starts and
   * keep-alives hold it open while a cold model loads. @default 10000
   */
  firstPieceWaitMs?: number;
  /** Silence after which a keep-alive frame is sent (edges cut idle origins at 30-60 s). @default SSE_KEEP_ALIVE_MS */
  keepAliveMs?: number;
  /** A client that leaves written data unread this long is disconnected. @default CLIENT_WRITE_TIMEOUT_MS */
  clientWriteTimeoutMs?: number;
}

/** The streaming settings with their defaults filled in. */
export function streamingOf(options: CompatRoutesOptions): Required<CompatStreaming> {
  return {
    firstPieceWaitMs: options.streaming?.firstPieceWaitMs ?? 10_000,
    keepAliveMs: options.streaming?.keepAliveMs ?? SSE_KEEP_ALIVE_MS,
    clientWriteTimeoutMs: options.streaming?.clientWriteTimeoutMs ?? CLIENT_WRITE_TIMEOUT_MS,
  };
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
