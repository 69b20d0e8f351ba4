import type { CompatStreaming } from './routes/compat/compat-options.js';
import type { Logger } from 'pino';
import type { IntentService } from './intent/classifier.js';
import type { RateLimitStore } from './limits/rate-limiter.js';
import type { LogStore } from './logs/log-store.js';
import type { GatewayMetrics } from './metrics.js';
import type { RecentRequests } from './pool/recent-requests.js';
import type { WorkerPool } from './pool/worker-pool.js';
import type { HttpsPolicy } from './middleware/require-https.js';
import type { RoutingPolicy } from './routing/policy.js';

/** Settings `createApp` reads; a subset of `GatewayConfig` so tests can pass just these. */
export interface GatewaySettings {
  workerSharedSecret: string | undefined;
  adminToken: string | undefined;
  apiKeys: string[];
  rateLimitPerMinute: number;
  rateLimitBurst: number;
  intentRateLimitPerMinute: number;
  intentRateLimitBurst: number;
  /** Bearer token for `/metrics`; unset: loopback clients only. */
  metricsToken: string | undefined;
  wsMaxConnections: number;
  wsMaxConnectionsPerIp: number;
  /** Requests per API key per minute on the OpenAI- and Ollama-compatible APIs (refill rate). */
  apiKeyRateLimitPerMinute: number;
  /** Requests one API key may send at once on those APIs. */
  apiKeyRateLimitBurst: number;
  maxBodyBytes: number;
  trustProxy: boolean;
  corsOrigins: string[];
  /** Which routes need HTTPS and how the edge reports it; unset: no HTTPS check (tests, local). */
  https?: HttpsPolicy;
  /**
   * Values the edge (CloudFront) sends in `X-Origin-Verify` (`EDGE_SECRET`, `EDGE_SECRET_PREVIOUS`):
   * only requests carrying one may report the viewer's protocol and address. Unset or empty: no edge.
   */
  edgeSecrets?: string[];
  /** A client that leaves a chat stream unread this long is disconnected (`CLIENT_WRITE_TIMEOUT_MS`). @default 30000 */
  clientWriteTimeoutMs?: number;
  /** Start and keep-alive timing of the compatible APIs' streams (tests shorten it). */
  compatStreaming?: CompatStreaming;
  /** WebSocket ping interval; no pong by the next ping closes the socket (`WS_PING_INTERVAL_MS`). @default 30000 */
  wsPingIntervalMs?: number;
  /** Keep message texts in the interaction log (`LOG_MESSAGES`). */
  logMessages: boolean;
}

/** Everything the gateway app is built from. `server.ts` builds the real ones; tests build their own. */
export interface GatewayDeps {
  settings: GatewaySettings;
  intent: IntentService;
  policy: RoutingPolicy;
  pool: WorkerPool;
  logStore: LogStore;
  logger: Logger;
  metrics: GatewayMetrics;
  recentRequests: RecentRequests;
  /** Shared rate-limit buckets (`RATE_LIMIT_STORE=dynamodb`); unset: each gateway keeps its own. */
  rateLimitStore?: RateLimitStore;
}
