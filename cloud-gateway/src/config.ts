import { z } from 'zod';
import {
  configEntry,
  envBoolean,
  envList,
  envUrl,
  envPositiveInt,
  environment,
  loadConfig,
  type ConfigOf,
  type ConfigOverrides,
} from '@review-assistant/shared';

/** A positive integer setting (milliseconds, counts, bytes) with its default as the example. */
const positiveInteger = (env: string, fallback: number, description: string) =>
  configEntry({ env, schema: envPositiveInt, default: fallback, example: String(fallback), description });

/**
 * Everything the gateway reads from the environment: the shared contract entries it uses plus
 * gateway-only tuning knobs (timeouts, pool limits, rate limit), each with a documented default.
 */
export const gatewayConfigSpec = {
  port: environment.port,
  host: environment.host,
  dataDir: environment.dataDir,
  workerUrls: configEntry({ ...environment.workerUrls, schema: envList.pipe(z.array(envUrl)) }),
  workerSharedSecret: environment.workerSharedSecret,
  intentModelUri: environment.intentModelUri,
  logStore: environment.logStore,
  logTable: environment.logTable,
  workerRegistry: environment.workerRegistry,
  workerRegistryTable: environment.workerRegistryTable,
  dynamodbEndpoint: environment.dynamodbEndpoint,
  rateLimitStore: configEntry({
    env: 'RATE_LIMIT_STORE',
    schema: z.enum(['memory', 'dynamodb']).optional(),
    example: 'dynamodb',
    description: 'Where rate-limit buckets live: memory (each gateway its own) or dynamodb (shared by every gateway, in WORKER_REGISTRY_TABLE); unset: follows WORKER_REGISTRY.',
  }),
  logMessages: configEntry({
    env: 'LOG_MESSAGES',
    schema: envBoolean,
    default: false,
    example: 'true',
    description: 'Keep the text of each chat message (truncated) in the interaction log; off: only intent, route and timings.',
  }),
  workerAllowedHosts: environment.workerAllowedHosts,
  allowPrivateWorkerUrls: environment.allowPrivateWorkerUrls,
  adminToken: environment.adminToken,
  apiKeys: environment.apiKeys,
  logLevel: environment.logLevel,
  intentRateLimitPerMinute: environment.intentRateLimitPerMinute,
  intentRateLimitBurst: environment.intentRateLimitBurst,
  metricsToken: environment.metricsToken,
  connectTimeoutMs: positiveInteger('WORKER_CONNECT_TIMEOUT_MS', 5_000, 'Time to get response headers from a worker.'),
  firstByteTimeoutMs: positiveInteger(
    'WORKER_FIRST_BYTE_TIMEOUT_MS',
    45_000,
    'Time to the first stream event (covers embedding, retrieval and a cold model load).',
  ),
  idleTimeoutMs: positiveInteger('WORKER_IDLE_TIMEOUT_MS', 30_000, 'Longest silence between two stream events.'),
  requestBudgetMs: positiveInteger('WORKER_REQUEST_BUDGET_MS', 180_000, 'Overall time budget of one worker request.'),
  workerConcurrency: positiveInteger('WORKER_CONCURRENCY', 8, 'Concurrent requests the gateway sends to one worker.'),
  workerQueue: configEntry({
    env: 'WORKER_QUEUE',
    schema: z.coerce.number().int().min(0),
    default: 32,
    example: '32',
    description: 'Requests waiting for a slot on one worker before it counts as full.',
  }),
  queueTimeoutMs: positiveInteger('WORKER_QUEUE_TIMEOUT_MS', 30_000, 'Longest wait for a slot on a worker before another is tried or worker_busy is answered.'),
  streamBufferBytes: positiveInteger(
    'CLIENT_STREAM_BUFFER_BYTES',
    1024 * 1024,
    'Answer bytes held for a client that reads slower than the worker sends; beyond it the client is cut off (the worker slot never waits for a client).',
  ),
  clientWriteTimeoutMs: positiveInteger('CLIENT_WRITE_TIMEOUT_MS', 30_000, 'A client that leaves a chat stream unread this long (SSE or WebSocket) is disconnected.'),
  wsPingIntervalMs: positiveInteger('WS_PING_INTERVAL_MS', 30_000, 'WebSocket ping interval; a socket that has not answered the previous ping is closed.'),
  breakerThreshold: positiveInteger('WORKER_BREAKER_THRESHOLD', 3, 'Consecutive failures that open a worker\'s circuit.'),
  breakerHalfOpenMs: positiveInteger('WORKER_BREAKER_HALF_OPEN_MS', 10_000, 'Time an open circuit waits before one probe call.'),
  maxHeartbeatWorkers: positiveInteger('WORKER_MAX_HEARTBEAT_WORKERS', 16, 'Heartbeat workers the registry holds at most; more get 429 too_many_workers.'),
  rateLimitPerMinute: positiveInteger('CHAT_RATE_LIMIT_PER_MINUTE', 30, 'Chat turns per client IP per minute (refill rate).'),
  rateLimitBurst: positiveInteger('CHAT_RATE_LIMIT_BURST', 10, 'Chat turns a client IP may send at once.'),
  wsMaxConnections: positiveInteger('WS_MAX_CONNECTIONS', 512, 'Open chat WebSockets allowed in total (503 beyond).'),
  wsMaxConnectionsPerIp: positiveInteger('WS_MAX_CONNECTIONS_PER_IP', 16, 'Open chat WebSockets allowed per client IP (429 beyond).'),
  apiKeyRateLimitPerMinute: positiveInteger(
    'API_KEY_RATE_LIMIT_PER_MINUTE',
    60,
    'Requests per API key per minute on the OpenAI- and Ollama-compatible APIs (refill rate).',
  ),
  apiKeyRateLimitBurst: positiveInteger('API_KEY_RATE_LIMIT_BURST', 20, 'Requests one API key may send at once on the compatible APIs.'),
  maxBodyBytes: positiveInteger('MAX_BODY_BYTES', 1024 * 1024, 'Largest request body accepted.'),
  trustProxy: configEntry({
    env: 'TRUST_PROXY',
    schema: envBoolean,
    default: false,
    example: 'true',
    description: 'Take the client IP from X-Forwarded-For (behind a load balancer).',
  }),
  cloudwatchEmf: configEntry({
    env: 'CLOUDWATCH_EMF',
    schema: envBoolean,
    default: false,
    example: 'true',
    description: 'Write metrics as CloudWatch Embedded Metric Format lines on stdout once a minute (set on EC2).',
  }),
  requireHttps: configEntry({
    env: 'REQUIRE_HTTPS',
    schema: envBoolean,
    default: false,
    example: 'true',
    description: 'Refuse admin, API-key, metrics and worker routes that did not arrive over HTTPS (loopback exempt).',
  }),
  forwardedProtoHeader: configEntry({
    env: 'FORWARDED_PROTO_HEADER',
    schema: z.string().regex(/^[A-Za-z0-9-]+$/),
    default: 'x-forwarded-proto',
    example: 'cloudfront-forwarded-proto',
    description: 'Header in which the edge (CloudFront, load balancer) reports the viewer protocol; read only with TRUST_PROXY.',
  }),
  edgeSecret: configEntry({
    env: 'EDGE_SECRET',
    schema: z.string().min(16).optional(),
    example: 'a-long-random-value',
    description:
      'Value the edge (CloudFront) sends in X-Origin-Verify. When set, the forwarded protocol and the CloudFront-Viewer-Address (the client IP for per-IP limits) are trusted only on requests carrying it.',
    secret: true,
  }),
  edgeSecretPrevious: configEntry({
    env: 'EDGE_SECRET_PREVIOUS',
    schema: z.string().min(16).optional(),
    example: 'the-value-before-the-rotation',
    description: 'During a rotation of EDGE_SECRET: the old value, accepted as well until every edge location sends the new one.',
    secret: true,
  }),
  corsOrigins: configEntry({
    env: 'CORS_ORIGINS',
    schema: envList,
    default: '',
    example: 'https://reviews.example.com',
    description: 'Origins allowed to call the API cross-site; empty: CORS closed.',
  }),
} as const;

export type GatewayConfig = ConfigOf<typeof gatewayConfigSpec>;

/** Reads and validates the gateway configuration once; throws `ConfigError` naming bad variables. */
export function loadGatewayConfig(
  options: { env?: Record<string, string | undefined>; overrides?: ConfigOverrides<typeof gatewayConfigSpec> } = {},
): GatewayConfig {
  return loadConfig(gatewayConfigSpec, options);
}
