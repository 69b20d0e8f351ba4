import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { StreamEventSchema, type StreamEvent } from '@review-assistant/shared';
import { createNodeHttpTransport } from '@review-assistant/cloud-gateway';
import { createTestGateway, readSse, type TestGateway, startWorkerDouble } from '@review-assistant/cloud-gateway/testing';
import { startWorker, type RunningWorker, type EmbeddedChroma } from '@review-assistant/local-worker';
import { FakeNgrokEdge } from './support/fake-ngrok-edge.js';
import { startChromaWithReviews } from './support/review-corpus.js';
import { createTestCertificate, type TestCertificate } from './support/test-certificate.js';

/**
 * A real worker (H2b's server, offline backend, real Chroma) publishes itself through an injected
 * ngrok listener (a real reverse proxy standing in for the ngrok cloud, serving HTTPS with a
 * certificate made for this run), announces its URL with signed heartbeats to a real gateway, and
 * serves a chat turn through it; the gateway reaches it with its production HTTPS transport.
 */

const SECRET = 'e2e-tunnel-secret-0123456789abcdef';
const ADMIN_TOKEN = 'e2e-admin-token-0123456789abcdef';
const INTERVAL_SECONDS = 1;


/** The cloud-gateway test harness with a short sweep so expiry shows within the test's budget. */
async function startGateway(options: { secret: string; workerUrls?: string[] }): Promise<TestGateway> {
  const gateway = createTestGateway({
    settings: { workerSharedSecret: options.secret, adminToken: ADMIN_TOKEN },
    pool: {
      staticUrls: options.workerUrls ?? [],
      connectTimeoutMs: 2000,
      firstByteTimeoutMs: 15_000,
      idleTimeoutMs: 15_000,
      requestBudgetMs: 60_000,
      // the production transport (node:https), trusting only this run's edge certificate
      transport: createNodeHttpTransport({ ca: certificate.cert }),
    },
  });
  gateway.deps.pool.startSweeping(100);
  await gateway.listen();
  return gateway;
}

/** POST /api/chat and parse the Server-Sent Events. */
async function chat(gatewayUrl: string, message: string): Promise<{ status: number; events: StreamEvent[] }> {
  const response = await fetch(`${gatewayUrl}/api/chat`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', accept: 'text/event-stream' },
    body: JSON.stringify({ message }),
  });
  const events: StreamEvent[] = [];
  if (response.body) for await (const { data } of readSse(response.body)) events.push(StreamEventSchema.parse(data));
  return { status: response.status, events };
}

async function waitUntil(condition: () => boolean, timeoutMs: number, what: string): Promise<number> {
  const started = Date.now();
  while (!condition()) {
    if (Date.now() - started > timeoutMs) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 25));
  }
  return Date.now() - started;
}

let certificate: TestCertificate;
let dataDir: string;
let chroma: EmbeddedChroma;
let gateway: TestGateway;
let edge: FakeNgrokEdge;
let worker: RunningWorker;
/** `lastHeartbeatAt` of the first pool entry for the worker (the gateway's record of its first heartbeat). */
let firstHeartbeatAtMs: number | undefined;

beforeAll(async () => {
  dataDir = await mkdtemp(join(tmpdir(), 'e2e-tunnel-'));
  chroma = await startChromaWithReviews(dataDir);

  certificate = await createTestCertificate();
  gateway = await startGateway({ secret: SECRET });
  edge = new FakeNgrokEdge({ tls: certificate });
  edge.failNext = 1; // the first session attempt fails; the worker retries with backoff
  // watch the pool while the worker starts, to keep the gateway's timestamp of the first heartbeat
  const watcher = setInterval(() => {
    const entry = gateway.deps.pool.snapshot().find((candidate) => candidate.id === 'e2e-worker');
    if (firstHeartbeatAtMs === undefined && entry?.lastHeartbeatAt) firstHeartbeatAtMs = Date.parse(entry.lastHeartbeatAt);
  }, 5);
  worker = await startWorker({
    env: {
      WORKER_SHARED_SECRET: SECRET,
      GATEWAY_URL: gateway.url,
      MODEL_BACKEND: 'offline',
      DATA_DIR: dataDir,
      CHROMA_URL: chroma.url,
      WORKER_PORT: '0',
      WORKER_ID: 'e2e-worker',
      NGROK_AUTHTOKEN: '2e2eFakeNgrokToken_0123456789',
      HEARTBEAT_INTERVAL_SECONDS: String(INTERVAL_SECONDS),
      INSPECTOR_PORT: '0',
      LOG_LEVEL: 'silent',
    },
    loadNgrok: async () => edge,
  });
  await waitUntil(() => firstHeartbeatAtMs !== undefined, 10_000, 'the first heartbeat').finally(() => clearInterval(watcher));
}, 240_000);

afterAll(async () => {
  await worker?.stop();
  await gateway?.close();
  await edge?.closeAll();
  await chroma?.stop();
  if (dataDir) await rm(dataDir, { recursive: true, force: true });
});

describe('tunnel and heartbeats, end to end', () => {
  it('registers the worker at its tunnel URL within one heartbeat interval of the tunnel opening', async () => {
    const publicUrl = worker.networking?.publicUrl;
    expect(publicUrl).toMatch(/^https:\/\/127\.0\.0\.1:\d+$/);
    expect(publicUrl).not.toBe(worker.url);
    expect(edge.configs).toHaveLength(2); // one failed attempt, then the session that worked
    const tunnelOpenedAtMs = edge.opened.find((session) => session.url === publicUrl)!.atMs;
    // both timestamps are taken where they happen: the edge's listener and the gateway's pool entry
    expect(firstHeartbeatAtMs! - tunnelOpenedAtMs).toBeGreaterThanOrEqual(0);
    expect(firstHeartbeatAtMs! - tunnelOpenedAtMs).toBeLessThanOrEqual(INTERVAL_SECONDS * 1000);
    const registered = gateway.deps.pool.snapshot().find((entry) => entry.id === 'e2e-worker');
    expect(registered).toMatchObject({ id: 'e2e-worker', url: publicUrl, source: 'heartbeat', backend: 'offline' });

    const admin = await fetch(`${gateway.url}/admin/api/workers`, { headers: { authorization: `Bearer ${ADMIN_TOKEN}` } });
    expect((await admin.json()).workers[0]).toMatchObject({ id: 'e2e-worker', url: publicUrl });
  });

  it('answers a chat through the gateway and the tunnel, as one tunnel request', async () => {
    const before = edge.requests.length;
    const { status, events } = await chat(gateway.url, 'Is the biryani at Saffron House spicy?');
    expect(status).toBe(200);
    const types = events.map((event) => event.type);
    expect(types).toContain('sources');
    expect(types).toContain('answer-delta');
    expect(types.at(-1)).toBe('answer-end');
    const sources = events.find((event) => event.type === 'sources');
    expect(sources?.type === 'sources' && sources.items.some((item) => item.text.includes('biryani'))).toBe(true);

    const crossed = edge.requests.slice(before);
    expect(crossed.map((request) => `${request.method} ${request.path} ${request.status}`)).toEqual(['POST /v1/chat 200']);
    expect(crossed[0]).toMatchObject({ encrypted: true, complete: true });
    // Heartbeats go straight to the gateway: none crossed the tunnel.
    expect(edge.requests.every((request) => request.path.startsWith('/v1/'))).toBe(true);
    console.info(`[tunnel quota] one chat turn: ${crossed[0]!.bytesIn} bytes in, ${crossed[0]!.bytesOut} bytes out through the tunnel`);

    const inspected = await fetch(`${worker.networking!.inspectorUrl}/api/requests`);
    const { requests } = (await inspected.json()) as { requests: { method: string; path: string; status: number; requestHeaders: Record<string, string> }[] };
    const recorded = requests.find((request) => request.path === '/v1/chat');
    expect(recorded).toMatchObject({ method: 'POST', status: 200 });
    expect(recorded?.requestHeaders.host).toBe('fake-worker.ngrok-free.app');
    expect(recorded?.requestHeaders['x-signature']).toBe('[redacted]');
    expect(JSON.stringify(requests)).not.toContain(SECRET);
  });

  it('fails the chat when the gateway signs with another secret', async () => {
    const impostor = await startGateway({ secret: 'a-different-secret-0123456789abcd', workerUrls: [worker.networking!.publicUrl] });
    try {
      const before = edge.requests.length;
      const { events } = await chat(impostor.url, 'Is the biryani at Saffron House spicy?');
      expect(events.some((event) => event.type === 'answer-delta')).toBe(false);
      expect(events.at(-1)?.type).toBe('error');
      expect(edge.requests.slice(before).every((request) => request.status === 401)).toBe(true);
      expect(edge.requests.length).toBeGreaterThan(before);
    } finally {
      await impostor.close();
    }
  });

  it('re-announces a new tunnel URL after the session drops for good', async () => {
    const oldUrl = worker.networking!.publicUrl;
    edge.failNext = 1;
    edge.dropSession();
    await (worker.networking!.tunnel as { reconnect?: () => Promise<void> }).reconnect?.();
    const newUrl = worker.networking!.tunnel.publicUrl;
    expect(newUrl).not.toBeNull();
    expect(newUrl).not.toBe(oldUrl);
    await waitUntil(() => gateway.deps.pool.snapshot().some((entry) => entry.id === 'e2e-worker' && entry.url === newUrl), INTERVAL_SECONDS * 1000 + 500, 'the new URL at the gateway');
    const { events } = await chat(gateway.url, 'How is the coffee at Green Leaf Cafe?');
    expect(events.at(-1)?.type).toBe('answer-end');
  });

  it('expires a silent worker after three missed intervals, and drops it at once on goodbye', async () => {
    const heartbeats = worker.networking!.heartbeats!;
    await heartbeats.stop({ goodbye: false });
    // Bounds from the pool's own clock: an entry is listed while now <= lastHeartbeatAt + 3 intervals
    // and dropped after, so a read before the deadline must see it and a read after must not.
    const ttlMs = INTERVAL_SECONDS * 1000 * 3;
    let lastHeartbeatAtMs = Number.NaN;
    let lastSeenBeforeReadMs = Number.NaN;
    let goneAfterReadMs = Number.NaN;
    const deadline = Date.now() + ttlMs + 5000;
    while (Date.now() < deadline) {
      const before = Date.now();
      const entry = gateway.deps.pool.snapshot().find((candidate) => candidate.id === 'e2e-worker');
      const after = Date.now();
      if (!entry) {
        goneAfterReadMs = after;
        break;
      }
      lastHeartbeatAtMs = Date.parse(entry.lastHeartbeatAt!);
      lastSeenBeforeReadMs = before;
      await new Promise((resolve) => setTimeout(resolve, 20));
    }
    expect(goneAfterReadMs, 'the worker expired before the deadline').not.toBeNaN();
    expect(lastSeenBeforeReadMs - lastHeartbeatAtMs).toBeLessThanOrEqual(ttlMs);
    expect(goneAfterReadMs - lastHeartbeatAtMs).toBeGreaterThan(ttlMs);
    // and it was still listed after two missed intervals
    expect(lastSeenBeforeReadMs - lastHeartbeatAtMs).toBeGreaterThanOrEqual(INTERVAL_SECONDS * 1000 * 2);

    heartbeats.start();
    await waitUntil(() => gateway.deps.pool.snapshot().some((entry) => entry.id === 'e2e-worker'), INTERVAL_SECONDS * 1000, 're-registration');
    await heartbeats.stop({ goodbye: true });
    expect(gateway.deps.pool.snapshot().some((entry) => entry.id === 'e2e-worker')).toBe(false);
  });

  it('turns a worker that dies mid-stream behind the HTTPS tunnel into worker_stream_broken within 2 s', async () => {
    const dying = await startWorkerDouble({ secret: SECRET, fault: 'die-mid-stream', dieAfterEvents: 3, tokenDelayMs: 5 });
    const listener = await edge.forward({ addr: dying.url, authtoken: 'unused' });
    const relay = await startGateway({ secret: SECRET, workerUrls: [listener.url()!] });
    try {
      const response = await fetch(`${relay.url}/api/chat`, {
        method: 'POST',
        headers: { 'content-type': 'application/json', accept: 'text/event-stream' },
        body: JSON.stringify({ message: 'Is the biryani at Saffron House spicy?' }),
      });
      const events: StreamEvent[] = [];
      let lastEventAt = 0;
      let brokenAt = 0;
      // this client sits next to the gateway (same process, loopback): no browser in the measurement
      for await (const { data } of readSse(response.body!)) {
        const event = StreamEventSchema.parse(data);
        events.push(event);
        if (event.type === 'error') brokenAt = performance.now();
        else lastEventAt = performance.now();
      }
      const closedAt = performance.now();
      expect(events.map((event) => event.type)).toEqual(['intent', 'sources', 'answer-delta', 'answer-delta', 'error']);
      expect(events.at(-1)).toMatchObject({ type: 'error', code: 'worker_stream_broken', retryable: true });
      expect(brokenAt - lastEventAt).toBeLessThan(2000);
      expect(closedAt - lastEventAt).toBeLessThan(2000);
      expect(edge.requests.at(-1)).toMatchObject({ path: '/v1/chat', encrypted: true, complete: false });
    } finally {
      await relay.close();
      await listener.close();
      await dying.close();
    }
  });
});
