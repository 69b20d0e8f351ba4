import { Hono } from 'hono';
import type { Server } from 'node:http';
import { BUSY_RETRY_AFTER_SECONDS } from './chat/chat-turn.js';
import { InteractionRecorder } from './chat/turn-recorder.js';
import type { GatewayDeps } from './deps.js';
import type { GatewayEnv } from './middleware/gateway-env.js';
import { createLimiter } from './limits/create-limiter.js';
import { createErrorRenderer, requestBodyLimit } from '@review-assistant/shared/edge';
import { requestContext } from './middleware/request-context.js';
import { FailedAttempts } from './middleware/token-auth.js';
import { requireHttps } from './middleware/require-https.js';
import { TrustedEdge, viewerAddressFromEdge } from './middleware/trusted-edge.js';
import { corsPolicy } from './middleware/security-headers.js';
import { createAdminRoutes } from './routes/admin.js';
import { recentRequestsView } from './admin/recent-requests-view.js';
import { readAnalytics } from './logs/analytics.js';
import { createChatSocketRoutes } from './routes/chat-socket.js';
import { createChatRoutes } from './routes/chat.js';
import { createOllamaRoutes } from './routes/compat/ollama-routes.js';
import { createOpenAiRoutes } from './routes/compat/openai-routes.js';
import { ollamaErrorShape, openAiErrorShape } from './routes/compat/protocol-errors.js';
import { createDocsRoutes } from './routes/docs.js';
import { createHealthRoutes } from './routes/health.js';
import { createHeartbeatRoutes } from './routes/heartbeat.js';
import { createIntentRoutes } from './routes/intent.js';
import { createMetricsRoutes } from './routes/metrics.js';
import { createUiRoutes } from './routes/ui.js';
import { createWorkerApiRoutes } from './routes/worker-api.js';
import { createNodeWebSocket } from './websocket/node-websocket.js';

export interface GatewayApp {
  app: Hono<GatewayEnv>;
  /** Attaches the WebSocket upgrade handler to the HTTP server returned by `serve()`. */
  injectWebSocket(server: Server): void;
  /** Closes every open chat socket (going-away), for graceful shutdown. */
  closeWebSockets(): void;
  /** Chat sockets counted against the connection caps (open plus handshakes in progress). */
  webSocketConnections(): number;
}

const MAX_WS_MESSAGE_BYTES = 256 * 1024;
const CHAT_SOCKET_PATH = '/ws/chat';

/**
 * Builds the gateway from its collaborators. No network, no disk: `server.ts` supplies real
 * collaborators and listens; tests call `app.request()` or serve it on port 0.
 */
export function createApp(deps: GatewayDeps): GatewayApp {
  const app = new Hono<GatewayEnv>();
  const edge = deps.settings.edgeSecrets?.length ? new TrustedEdge(deps.settings.edgeSecrets) : undefined;
  // ws accepts 100 MiB frames by default; a chat message is a few KiB (ChatRequestSchema limits).
  const { upgradeWebSocket, injectWebSocket, wss, connections } = createNodeWebSocket({
    app,
    path: CHAT_SOCKET_PATH,
    maxPayload: MAX_WS_MESSAGE_BYTES,
    allowedOrigins: deps.settings.corsOrigins,
    maxConnections: deps.settings.wsMaxConnections,
    maxConnectionsPerIp: deps.settings.wsMaxConnectionsPerIp,
    trustProxy: deps.settings.trustProxy,
    edge,
    logger: deps.logger,
  });
  const limiter = createLimiter({ name: 'chat', perMinute: deps.settings.rateLimitPerMinute, burst: deps.settings.rateLimitBurst }, deps.rateLimitStore, deps.logger);
  const turn = {
    intent: deps.intent,
    policy: deps.policy,
    pool: deps.pool,
    recorder: new InteractionRecorder({ logStore: deps.logStore, metrics: deps.metrics, logMessages: deps.settings.logMessages }),
  };

  // Request id, logger, security headers, the failed-credential counter, request log and metrics.
  app.use(requestContext(deps.logger, deps.metrics, new FailedAttempts(deps.settings.trustProxy)));
  // before every per-IP count (rate limits, failed credentials): the viewer CloudFront reports
  if (edge) app.use(viewerAddressFromEdge(edge));
  if (deps.settings.https?.required) app.use(requireHttps(deps.settings.https, edge));
  const cors = corsPolicy(deps.settings.corsOrigins);
  if (cors) app.use('/api/*', cors);
  app.use(requestBodyLimit(deps.settings.maxBodyBytes));
  const errors = createErrorRenderer<GatewayEnv>({
    shapes: [
      ['/v1/', openAiErrorShape],
      ['/ollama/', ollamaErrorShape],
    ],
    // Every route that sheds for a full pool (the chat routes, the compatible APIs, the worker API) says when to come back.
    retryAfterSeconds: { worker_busy: BUSY_RETRY_AFTER_SECONDS },
  });
  app.onError(errors.onError);
  app.notFound(errors.notFound);

  app.route('/', createHealthRoutes({ intent: deps.intent, pool: deps.pool }));
  app.route('/', createMetricsRoutes(deps.metrics, { token: deps.settings.metricsToken }));
  const intentLimiter = createLimiter({ name: 'intent', perMinute: deps.settings.intentRateLimitPerMinute, burst: deps.settings.intentRateLimitBurst }, deps.rateLimitStore, deps.logger);
  const intentRoutes = createIntentRoutes({ intent: deps.intent, limiter: intentLimiter, trustProxy: deps.settings.trustProxy });
  // The document describes every route mounted on `app` (read when it is first asked for).
  app.route('/', createDocsRoutes(app));
  app.route('/', createChatRoutes({ turn, limiter, trustProxy: deps.settings.trustProxy, maxBodyBytes: deps.settings.maxBodyBytes, clientWriteTimeoutMs: deps.settings.clientWriteTimeoutMs }));
  app.route(
    '/',
    createChatSocketRoutes({
      turn,
      limiter,
      trustProxy: deps.settings.trustProxy,
      upgradeWebSocket,
      clientWriteTimeoutMs: deps.settings.clientWriteTimeoutMs,
      pingIntervalMs: deps.settings.wsPingIntervalMs,
    }),
  );
  const keyLimiter = createLimiter({ name: 'api-key', perMinute: deps.settings.apiKeyRateLimitPerMinute, burst: deps.settings.apiKeyRateLimitBurst }, deps.rateLimitStore, deps.logger);
  const compat = {
    turn,
    pool: deps.pool,
    apiKeys: deps.settings.apiKeys,
    keyLimiter,
    streaming: { ...deps.settings.compatStreaming, ...(deps.settings.clientWriteTimeoutMs === undefined ? {} : { clientWriteTimeoutMs: deps.settings.clientWriteTimeoutMs }) },
  };
  app.route('/', createOpenAiRoutes(compat));
  app.route('/', createOllamaRoutes(compat));
  app.route('/', createWorkerApiRoutes({ pool: deps.pool, apiKeys: deps.settings.apiKeys, keyLimiter, recentRequests: deps.recentRequests }));
  app.route('/', createHeartbeatRoutes({ pool: deps.pool, secret: deps.settings.workerSharedSecret }));
  app.route('/', intentRoutes);
  app.route(
    '/',
    createAdminRoutes({
      adminToken: deps.settings.adminToken,
      listWorkers: () => deps.pool.snapshot(),
      recentRequests: () => recentRequestsView(deps.logStore, deps.recentRequests),
      analytics: (range) => readAnalytics(deps.logStore, range),
    }),
  );
  app.route('/', createUiRoutes());

  return {
    app,
    injectWebSocket: (server) => injectWebSocket(server),
    closeWebSockets: () => {
      for (const client of wss.clients) client.close(1001, 'gateway shutting down');
    },
    webSocketConnections: connections,
  };
}
