import type { AddressInfo } from 'node:net';
import type { Server } from 'node:http';
import { serve } from '@hono/node-server';
import { pino } from 'pino';
import { createApp } from '@review-assistant/cloud-gateway/app';
import type { GatewayDeps } from '@review-assistant/cloud-gateway/deps';
import type { InteractionRecord } from '@review-assistant/cloud-gateway/logs/interaction-record';
import type { LogStore } from '@review-assistant/cloud-gateway/logs/log-store';
import { GatewayMetrics } from '@review-assistant/cloud-gateway/metrics';
import { RecentRequests } from '@review-assistant/cloud-gateway/pool/recent-requests';
import { WorkerPool } from '@review-assistant/cloud-gateway/pool/worker-pool';
import { greetingPolicy, keywordIntentService } from './chat-ui-intent.js';

/** Keeps interaction records in memory so a test can read what the gateway logged. */
class MemoryLogStore implements LogStore {
  readonly provider = 'memory';
  readonly records: InteractionRecord[] = [];
  append(record: InteractionRecord): Promise<void> {
    this.records.push(record);
    return Promise.resolve();
  }
  close(): Promise<void> {
    return Promise.resolve();
  }
}

export interface ChatUiGateway {
  /** `http://127.0.0.1:<port>` */
  url: string;
  pool: WorkerPool;
  logs: MemoryLogStore;
  close(): Promise<void>;
}

export interface ChatUiGatewayOptions {
  /** Static workers (`WORKER_URLS`). */
  workerUrls?: string[];
  /** Shared secret for signing worker calls and verifying heartbeats. */
  secret?: string;
}

/**
 * The real gateway app (`createApp`) listening on 127.0.0.1 port 0 with its WebSocket upgrade,
 * a real worker pool, and the keyword intent service. Timeouts are short so a dead worker is
 * noticed within the UI tests' time budget.
 */
export async function startChatUiGateway(options: ChatUiGatewayOptions = {}): Promise<ChatUiGateway> {
  const pool = new WorkerPool({
    staticUrls: options.workerUrls ?? [],
    secret: options.secret,
    connectTimeoutMs: 1000,
    firstByteTimeoutMs: 5000,
    idleTimeoutMs: 5000,
    requestBudgetMs: 60_000,
    breakerHalfOpenMs: 500,
  });
  const logs = new MemoryLogStore();
  const deps: GatewayDeps = {
    settings: {
      workerSharedSecret: options.secret,
      adminToken: undefined,
      apiKeys: [],
      rateLimitPerMinute: 600,
      rateLimitBurst: 100,
      maxBodyBytes: 1024 * 1024,
      trustProxy: false,
      corsOrigins: [],
    },
    intent: keywordIntentService(),
    policy: greetingPolicy,
    pool,
    logStore: logs,
    logger: pino({ level: 'silent' }),
    metrics: new GatewayMetrics({ listWorkers: () => pool.snapshot(), defaultMetrics: false }),
    recentRequests: new RecentRequests(),
  };
  const { app, injectWebSocket } = createApp(deps);
  const server = await new Promise<Server>((resolve) => {
    const started = serve({ fetch: app.fetch, port: 0, hostname: '127.0.0.1' }, () => resolve(started as Server));
  });
  injectWebSocket(server);
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    pool,
    logs,
    async close() {
      pool.stopSweeping();
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}
