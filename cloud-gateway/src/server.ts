import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { join, resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import { pino, type Logger } from 'pino';
import { ConfigError } from '@review-assistant/shared';
import { createApp, type GatewayApp } from './app.js';
import { listenGateway } from './http-server.js';
import { loadGatewayConfig, type GatewayConfig } from './config.js';
import { EmfPublisher } from './emf-metrics.js';
import type { GatewayDeps } from './deps.js';
import type { IntentService } from './intent/classifier.js';
import { createIntentService } from './intent/intent-service.js';
import { createLogStore } from './logs/create-log-store.js';
import type { LogStore } from './logs/log-store.js';
import { GatewayMetrics } from './metrics.js';
import { RecentRequests } from './pool/recent-requests.js';
import { createWorkerRegistry } from './pool/registry/create-worker-registry.js';
import { createRateLimitStore } from './limits/create-rate-limit-store.js';
import { WorkerPool } from './pool/worker-pool.js';
import { WorkerUrlPolicy } from './pool/worker-url-policy.js';
import { IntentRoutingPolicy } from './routing/intent-routing-policy.js';
import type { RoutingPolicy } from './routing/policy.js';
import { collectStartUpGarbage } from './start-up-gc.js';
import { stdoutLog, type StdoutLog } from './stdout-log.js';

const mebibytes = (bytes: number) => Math.round(bytes / 2 ** 17) / 8;

export interface StartGatewayOptions {
  /** Replaces the artifact-backed intent service (tests, benchmarks). */
  intent?: IntentService;
  policy?: RoutingPolicy;
  logStore?: LogStore;
  logger?: Logger;
}

export interface RunningGateway {
  /** `http://host:port` */
  url: string;
  server: Server;
  gateway: GatewayApp;
  deps: GatewayDeps;
  /** Stops accepting, lets running streams finish (up to `graceMs`), then closes everything. */
  close(graceMs?: number): Promise<void>;
}

/** Builds the real collaborators from config and listens. Port 0 picks a free port. */
export async function startGateway(config: GatewayConfig, options: StartGatewayOptions = {}): Promise<RunningGateway> {
  // Buffered stdout: one write per 16 KiB of log lines instead of one per line (log writes were the
  // largest single CPU cost per chat turn in the benchmark profile), at least once a second, and
  // what is buffered at exit is written (stdout-log.ts).
  let stdout: StdoutLog | undefined;
  const logger = options.logger ?? pino({ level: config.logLevel, base: { service: 'gateway' } }, (stdout = stdoutLog()).stream);
  if (!config.workerSharedSecret) {
    logger.warn('WORKER_SHARED_SECRET is not set: requests to workers go unsigned (workers will refuse them) and heartbeats are refused');
  }
  const registry = await createWorkerRegistry(config, { maxWorkers: config.maxHeartbeatWorkers });
  const pool = new WorkerPool({
    staticUrls: config.workerUrls,
    registry,
    urlPolicy: new WorkerUrlPolicy({ allowedHosts: config.workerAllowedHosts, allowPrivate: config.allowPrivateWorkerUrls }),
    onRegistryHealth: (error) =>
      error === undefined
        ? logger.info({ registry: registry.provider }, 'worker registry readable again')
        : logger.error({ err: error, registry: registry.provider }, 'worker registry unreadable: keeping the last view of heartbeat workers'),
    secret: config.workerSharedSecret,
    connectTimeoutMs: config.connectTimeoutMs,
    firstByteTimeoutMs: config.firstByteTimeoutMs,
    idleTimeoutMs: config.idleTimeoutMs,
    requestBudgetMs: config.requestBudgetMs,
    concurrency: config.workerConcurrency,
    maxQueue: config.workerQueue,
    queueTimeoutMs: config.queueTimeoutMs,
    streamBufferBytes: config.streamBufferBytes,
    breakerThreshold: config.breakerThreshold,
    breakerHalfOpenMs: config.breakerHalfOpenMs,
  });
  pool.startSweeping();
  const loadingIntent = options.intent
    ? undefined
    : createIntentService({ uri: config.intentModelUri, cacheDir: join(resolve(config.dataDir), 'cache'), logger: logger.child({ component: 'intent' }) });
  const intent = options.intent ?? loadingIntent!;
  const metrics = new GatewayMetrics({ listWorkers: () => pool.snapshot(), defaultMetrics: true });
  const deps: GatewayDeps = {
    settings: {
      workerSharedSecret: config.workerSharedSecret,
      adminToken: config.adminToken,
      apiKeys: config.apiKeys,
      rateLimitPerMinute: config.rateLimitPerMinute,
      rateLimitBurst: config.rateLimitBurst,
      intentRateLimitPerMinute: config.intentRateLimitPerMinute,
      intentRateLimitBurst: config.intentRateLimitBurst,
      metricsToken: config.metricsToken,
      wsMaxConnections: config.wsMaxConnections,
      wsMaxConnectionsPerIp: config.wsMaxConnectionsPerIp,
      apiKeyRateLimitPerMinute: config.apiKeyRateLimitPerMinute,
      apiKeyRateLimitBurst: config.apiKeyRateLimitBurst,
      maxBodyBytes: config.maxBodyBytes,
      clientWriteTimeoutMs: config.clientWriteTimeoutMs,
      wsPingIntervalMs: config.wsPingIntervalMs,
      trustProxy: config.trustProxy,
      corsOrigins: config.corsOrigins,
      https: {
        required: config.requireHttps,
        forwardedProtoHeader: config.forwardedProtoHeader,
        trustProxy: config.trustProxy,
      },
      edgeSecrets: [config.edgeSecret, config.edgeSecretPrevious].filter((secret) => secret !== undefined),
      logMessages: config.logMessages,
    },
    intent,
    policy: options.policy ?? new IntentRoutingPolicy(),
    pool,
    logStore:
      options.logStore ??
      (await createLogStore({
        logStore: config.logStore,
        logTable: config.logTable,
        dataDir: resolve(config.dataDir),
        dynamodbEndpoint: config.dynamodbEndpoint,
        logger: logger.child({ component: 'interaction-log' }),
        onSpill: (records) => metrics.logSpilled.inc(records),
      })),
    logger,
    metrics,
    recentRequests: new RecentRequests(),
  };
  const rateLimitStore = await createRateLimitStore(config);
  if (rateLimitStore) deps.rateLimitStore = rateLimitStore;
  const emf = config.cloudwatchEmf ? new EmfPublisher({ metrics: deps.metrics }).start() : undefined;
  const gateway = createApp(deps);
  const server = await listenGateway(gateway, config.port, config.host);
  const address = server.address() as AddressInfo;
  const host = address.family === 'IPv6' ? `[${address.address}]` : address.address;
  const url = `http://${host}:${address.port}`;
  void pool.probeStaticWorkers();
  logger.info({ url, workers: config.workerUrls.length, logStore: deps.logStore.provider }, `gateway listening on ${url}`);
  void collectStartUpGarbage(loadingIntent?.loaded ?? Promise.resolve()).then((collected) => {
    if (collected) logger.info({ rssMiB: mebibytes(collected.rssAfter), rssBeforeMiB: mebibytes(collected.rssBefore) }, 'start-up garbage collected');
  });

  let closing: Promise<void> | undefined;
  const close = (graceMs = 10_000) => {
    closing ??= (async () => {
      pool.stopSweeping();
      const stopped = new Promise<void>((resolveClose) => server.close(() => resolveClose()));
      gateway.closeWebSockets();
      server.closeIdleConnections();
      const timer = setTimeout(() => server.closeAllConnections(), graceMs);
      timer.unref();
      await stopped;
      clearTimeout(timer);
      await deps.logStore.close().catch(() => undefined);
      await emf?.stop().catch(() => undefined);
      await registry.close().catch(() => undefined);
      await rateLimitStore?.close().catch(() => undefined);
      if (stdout) stdout.close();
      else await new Promise<void>((resolveFlush) => logger.flush(() => resolveFlush()));
    })();
    return closing;
  };
  return { url, server, gateway, deps, close };
}

async function main(): Promise<void> {
  let config: GatewayConfig;
  try {
    config = loadGatewayConfig();
  } catch (error) {
    if (error instanceof ConfigError) {
      console.error(error.message);
      process.exit(1);
    }
    throw error;
  }
  const running = await startGateway(config);
  const logger = running.deps.logger;
  let signals = 0;
  const shutdown = (signal: NodeJS.Signals) => {
    signals += 1;
    if (signals > 1) {
      logger.warn({ signal }, 'second signal: exiting now');
      process.exit(1);
    }
    logger.info({ signal }, 'shutting down: finishing running streams');
    running.close().then(
      () => process.exit(0),
      (error: unknown) => {
        logger.error({ err: error }, 'shutdown failed');
        process.exit(1);
      },
    );
  };
  process.on('SIGINT', shutdown);
  process.on('SIGTERM', shutdown);
}

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) {
  main().catch((error: unknown) => {
    console.error(error);
    process.exit(1);
  });
}
