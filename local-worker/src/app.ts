import { Hono } from 'hono';
import type { MiddlewareHandler } from 'hono';
import type { Logger } from 'pino';
import type { NonceCache } from '@review-assistant/shared';
import type { ChatService } from './chat/chat-service.js';
import type { ConcurrencyGate } from './chat/concurrency-gate.js';
import type { ChatModel, EmbeddingModel, Retriever } from './ports.js';
import { createErrorRenderer, requestContext, signatureMiddleware } from '@review-assistant/shared/edge';
import { createChatRoutes } from './routes/chat.js';
import { createEmbedRoutes } from './routes/embed.js';
import { createGenerateRoutes } from './routes/generate.js';
import { createHealthRoutes } from './routes/health.js';
import type { HealthReporter } from './routes/health.js';
import type { WorkerEnv } from './routes/http-support.js';
import { createRetrieveRoutes } from './routes/retrieve.js';

/** Collaborators of the worker app; `server.ts` builds the real ones, tests pass doubles. */
export interface WorkerAppDependencies {
  /** WORKER_SHARED_SECRET: every route requires a valid HMAC signature made with it. */
  secret: string;
  logger: Logger;
  chatService: ChatService;
  gate: ConcurrencyGate;
  retriever: Retriever;
  embeddingModel: EmbeddingModel;
  chatModel: ChatModel;
  /** `ollama` or `offline`, reported by `/v1/generate`. */
  backend: string;
  health: HealthReporter;
  /** Largest accepted body. @default 256 KiB */
  maxBodyBytes?: number;
  nonceCache?: NonceCache;
  /** @default Date.now (tests move the clock) */
  now?: () => number;
  /**
   * Middleware that runs before the signature check, after the request id is set (e.g. the
   * traffic inspector's recorder, which must also see rejected requests).
   */
  beforeSignature?: MiddlewareHandler[];
}

/**
 * The worker's Hono app, without I/O: request id and one log line per request, the signature
 * check in front of every route (401 before any work), then `/v1/chat|retrieve|embed|generate|health`.
 * Every error goes through one renderer: `{"error": {"code", "message", "requestId"}}`.
 */
export function createApp(dependencies: WorkerAppDependencies): Hono<WorkerEnv> {
  const app = new Hono<WorkerEnv>();

  app.use('*', requestContext({ logger: dependencies.logger }));

  for (const middleware of dependencies.beforeSignature ?? []) app.use('*', middleware);

  app.use(
    '*',
    signatureMiddleware({
      secret: dependencies.secret,
      maxBodyBytes: dependencies.maxBodyBytes ?? 256 * 1024,
      ...(dependencies.nonceCache ? { nonceCache: dependencies.nonceCache } : {}),
      ...(dependencies.now ? { now: dependencies.now } : {}),
      onReject: (reason, path) => dependencies.logger.warn({ reason, path }, 'rejected unsigned or badly signed request'),
    }),
  );

  app.route('/v1', createChatRoutes({ chatService: dependencies.chatService, gate: dependencies.gate }));
  app.route('/v1', createRetrieveRoutes({ retriever: dependencies.retriever }));
  app.route('/v1', createEmbedRoutes({ embeddingModel: dependencies.embeddingModel }));
  app.route('/v1', createGenerateRoutes({ chatModel: dependencies.chatModel, gate: dependencies.gate, backend: dependencies.backend }));
  app.route('/v1', createHealthRoutes({ reporter: dependencies.health }));

  const errors = createErrorRenderer<WorkerEnv>({
    // Private: the gateway logs the worker's own messages (Ollama or Chroma down, ...).
    exposeServerMessages: true,
    internalMessage: 'the worker failed to handle the request; see its log',
    // Shedding load or a model being down is expected; only unexpected failures are errors.
    logAsError: (code) => code === 'internal',
    retryAfterSeconds: { worker_busy: 1 },
  });
  app.notFound(errors.notFound);
  app.onError(errors.onError);
  return app;
}
