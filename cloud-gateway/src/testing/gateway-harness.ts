import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { pino } from 'pino';
import WebSocket from 'ws';
import { WsServerMessageSchema, type StreamEvent, type WsServerMessage } from '@review-assistant/shared';
import { createApp, type GatewayApp } from '../app.js';
import { listenGateway } from '../http-server.js';
import type { GatewayDeps, GatewaySettings } from '../deps.js';
import type { IntentClassifier, IntentPrediction, IntentService } from '../intent/classifier.js';
import type { InteractionRecord } from '../logs/interaction-record.js';
import type { LogPage, LogQuery, LogStore } from '../logs/log-store.js';
import { GatewayMetrics } from '../metrics.js';
import { RecentRequests } from '../pool/recent-requests.js';
import { WorkerPool, type WorkerPoolOptions } from '../pool/worker-pool.js';
import { WorkerUrlPolicy } from '../pool/worker-url-policy.js';
import type { RouteDecision, RoutingPolicy } from '../routing/policy.js';
import { readServerSentEvents } from '../ui/client/sse-parser.js';

/** Keeps interaction records in memory; `failing` makes every append reject. */
export class MemoryLogStore implements LogStore {
  readonly provider = 'memory';
  readonly records: InteractionRecord[] = [];
  failing = false;
  async append(record: InteractionRecord): Promise<void> {
    if (this.failing) throw new Error('log store is down');
    this.records.push(record);
  }
  async query(query: LogQuery): Promise<LogPage> {
    const from = query.from.toISOString();
    const to = query.to.toISOString();
    return { records: this.records.filter((record) => record.createdAt >= from && record.createdAt < to), nextCursor: null };
  }
  async recent(limit: number): Promise<InteractionRecord[]> {
    return this.records.slice(-limit).reverse();
  }
  async close(): Promise<void> {}
}

/** A keyword classifier: greetings, banking words, else a dining question. Enough to drive routing. */
export function keywordIntentService(options: { ready?: boolean } = {}): IntentService & { ready: boolean } {
  const classifier: IntentClassifier = {
    info: { version: 'test-1', createdAt: '2026-01-01T00:00:00Z', algorithm: 'keywords', labels: 3, valMetrics: {} },
    predict(text: string): IntentPrediction {
      const lower = text.toLowerCase();
      const intent = /\b(hello|hi|hey)\b/.test(lower)
        ? { name: 'greeting', confidence: 0.97, domain: 'small_talk' }
        : /\b(bank|transfer|balance)\b/.test(lower)
          ? { name: 'transfer', confidence: 0.93, domain: 'banking' }
          : { name: 'restaurant_reviews', confidence: 0.88, domain: 'dining' };
      const scored = { name: intent.name, confidence: intent.confidence };
      return { intent: scored, domain: intent.domain, outOfScope: false, ranking: [scored] };
    },
  };
  const service = {
    ready: options.ready ?? true,
    status() {
      return service.ready ? { ready: true, version: 'test-1', message: null } : { ready: false, version: null, message: 'loading the intent model' };
    },
    current() {
      return service.ready ? classifier : undefined;
    },
  };
  return service;
}

/** Small talk and banking handled by the gateway, everything else to a worker. */
export const testPolicy: RoutingPolicy = {
  decide(prediction: IntentPrediction): RouteDecision {
    if (prediction.domain === 'small_talk') return { route: 'smalltalk', reply: 'Hi there! Ask me about restaurant reviews.' };
    if (prediction.domain === 'banking') return { route: 'decline', reply: 'I only know about restaurant reviews.' };
    return { route: 'worker' };
  },
};

const defaultTestSettings: GatewaySettings = {
  workerSharedSecret: undefined,
  adminToken: undefined,
  apiKeys: [],
  rateLimitPerMinute: 600,
  rateLimitBurst: 100,
  intentRateLimitPerMinute: 60_000,
  intentRateLimitBurst: 10_000,
  metricsToken: undefined,
  wsMaxConnections: 512,
  wsMaxConnectionsPerIp: 64,
  apiKeyRateLimitPerMinute: 600,
  apiKeyRateLimitBurst: 100,
  maxBodyBytes: 1024 * 1024,
  trustProxy: false,
  corsOrigins: [],
  logMessages: true,
};

export interface TestGateway {
  deps: GatewayDeps & { logStore: MemoryLogStore; intent: ReturnType<typeof keywordIntentService> };
  gateway: GatewayApp;
  /** `http://127.0.0.1:<port>` once `listen()` ran. */
  url: string;
  listen(): Promise<string>;
  /** TCP connections the listening server has open (0 before `listen()`). */
  openConnections(): Promise<number>;
  close(): Promise<void>;
}

/** The real app with test intent/policy/log store and a real pool; `listen()` serves it on port 0. */
export function createTestGateway(
  options: { settings?: Partial<GatewaySettings>; pool?: WorkerPoolOptions; intentReady?: boolean; intent?: IntentService & { ready: boolean }; policy?: RoutingPolicy } = {},
): TestGateway {
  const settings = { ...defaultTestSettings, ...options.settings };
  // Worker doubles listen on loopback: the harness accepts private heartbeat URLs unless a test
  // passes its own policy (as ALLOW_PRIVATE_WORKER_URLS=true does for `npm start`).
  const pool = new WorkerPool({ secret: settings.workerSharedSecret, urlPolicy: new WorkerUrlPolicy({ allowPrivate: true }), ...options.pool });
  const deps = {
    settings,
    intent: options.intent ?? keywordIntentService({ ready: options.intentReady ?? true }),
    policy: options.policy ?? testPolicy,
    pool,
    logStore: new MemoryLogStore(),
    logger: pino({ level: 'silent' }),
    metrics: new GatewayMetrics({ listWorkers: () => pool.snapshot() }),
    recentRequests: new RecentRequests(),
  };
  const gateway = createApp(deps);
  let server: Server | undefined;
  const harness: TestGateway = {
    deps,
    gateway,
    url: '',
    async listen() {
      server = await listenGateway(gateway, 0, '127.0.0.1');
      harness.url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
      return harness.url;
    },
    openConnections() {
      return new Promise<number>((resolve, reject) => {
        if (!server) resolve(0);
        else server.getConnections((error, count) => (error ? reject(error) : resolve(count)));
      });
    },
    async close() {
      pool.stopSweeping();
      if (!server) return;
      gateway.closeWebSockets();
      server.closeAllConnections();
      await new Promise<void>((resolve) => server?.close(() => resolve()));
    },
  };
  return harness;
}

/** Reads the gateway's SSE body event by event as it arrives (the UI client's reader), data parsed as JSON. */
export async function* readSse(body: ReadableStream<Uint8Array>): AsyncGenerator<{ event: string; data: StreamEvent }> {
  for await (const { event, data } of readServerSentEvents(body)) {
    if (data) yield { event, data: JSON.parse(data) as StreamEvent };
  }
}

/** Opens `WS /ws/chat` on a listening gateway; `messages` collects what it sends, parsed. Close the socket when done. */
export async function openChatSocket(url: string): Promise<{ socket: WebSocket; messages: WsServerMessage[] }> {
  const socket = new WebSocket(`${url.replace('http', 'ws')}/ws/chat`);
  const messages: WsServerMessage[] = [];
  socket.on('message', (data) => messages.push(WsServerMessageSchema.parse(JSON.parse(String(data)))));
  await new Promise<void>((resolve, reject) => {
    socket.once('open', () => resolve());
    socket.once('error', reject);
  });
  return { socket, messages };
}
