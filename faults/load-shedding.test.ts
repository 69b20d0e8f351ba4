import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ErrorBodySchema } from '@review-assistant/shared';
import { startWorkerDouble, type WorkerDouble } from '@review-assistant/cloud-gateway/testing';
import { startChat } from './support/chat-client.js';
import type { CompiledService } from './support/compiled-service.js';
import { waitUntil } from './support/http-probe.js';
import { canarySecret, startGatewayProcess, tempDir } from './support/stack.js';

/**
 * Bounded load on loopback against the compiled gateway. Beyond capacity the gateway sheds with
 * 429 or 503 and a Retry-After header, in the error shape; every request it admits still gets a
 * complete answer. A burst that arrives while the pool still has room is admitted exactly up to
 * its capacity (admission reserves a slot or a queue place per turn) and the rest is shed the same way.
 */

const SECRET = canarySecret('load');
const CONCURRENCY = 2;
const QUEUE = 2;
const CLIENTS = 24;
const ADMIN_TOKEN = canarySecret('admin');

let worker: WorkerDouble;
let gateway: CompiledService;
let dirs: Awaited<ReturnType<typeof tempDir>>;

beforeAll(async () => {
  // a slow worker: each answer takes ~1 s, so the 24 turns overlap
  worker = await startWorkerDouble({ secret: SECRET, workerId: 'slow', tokenDelayMs: 60, capacity: CONCURRENCY });
  dirs = await tempDir('load');
  gateway = await startGatewayProcess({
    secret: SECRET,
    dataDir: dirs.path,
    workerUrls: [worker.url],
    env: {
      WORKER_CONCURRENCY: String(CONCURRENCY),
      WORKER_QUEUE: String(QUEUE),
      // every client has its own address (X-Forwarded-For from a trusted proxy), so the per-IP
      // limiter admits them all and the pool's capacity is what sheds
      TRUST_PROXY: 'true',
      ADMIN_TOKEN,
      INTENT_RATE_LIMIT_PER_MINUTE: '600',
      INTENT_RATE_LIMIT_BURST: '100',
    },
  });
});

afterAll(async () => {
  await gateway?.stop();
  await worker?.close();
  await dirs?.cleanup();
});


describe('load beyond capacity', () => {
  it(`admits exactly ${CONCURRENCY} running + ${QUEUE} queued of ${CLIENTS} chats sent at once into an idle pool; the rest 503 with Retry-After, none a 200 carrying worker_busy`, async () => {
    const ask = (index: number) => startChat(gateway.url, 'Which restaurant has the friendliest staff?', { headers: { 'x-forwarded-for': `198.51.100.${index + 101}` } });
    const burst = await Promise.all(Array.from({ length: CLIENTS }, (_, index) => ask(index)));
    await Promise.all(burst.map((stream) => stream.finished));
    const streamed = burst.filter((stream) => stream.status === 200);
    const shed = burst.filter((stream) => stream.status !== 200);
    const inStreamErrors = streamed.flatMap((stream) => stream.events.filter((event) => event.type === 'error'));
    expect(inStreamErrors).toEqual([]);
    expect(streamed).toHaveLength(CONCURRENCY + QUEUE);
    for (const stream of streamed) expect(stream.events.at(-1)?.type).toBe('answer-end');
    for (const stream of shed) {
      expect(stream.status).toBe(503);
      expect(Number(stream.headers.get('retry-after'))).toBeGreaterThan(0);
    }
    console.info(`[faults] chat burst: ${CLIENTS} chats at once from ${CLIENTS} addresses into ${CONCURRENCY} running + ${QUEUE} queued: ${streamed.length} answered, ${shed.length} shed with 503 + Retry-After, 0 in-stream worker_busy`);
  });

  it(`sheds chats beyond ${CONCURRENCY} running + ${QUEUE} queued with 503 and Retry-After; admitted chats complete`, async () => {
    const ask = (index: number) => startChat(gateway.url, 'Which restaurant has the friendliest staff?', { headers: { 'x-forwarded-for': `198.51.100.${index + 1}` } });
    // capacity first: these turns take every slot and queue place of the worker (each answer ~1 s)
    const admitted = await Promise.all(Array.from({ length: CONCURRENCY + QUEUE }, (_, index) => ask(index)));
    await waitUntil(async () => {
      const response = await fetch(`${gateway.url}/admin/api/workers`, { headers: { authorization: `Bearer ${ADMIN_TOKEN}` } });
      const { workers } = (await response.json()) as { workers: { active: number; queue: number }[] };
      return workers[0]?.active === CONCURRENCY && workers[0]?.queue === QUEUE;
    }, 10_000, 'the pool to fill');
    // then the flood, from other addresses (the per-IP limiter admits each of them)
    const flood = await Promise.all(Array.from({ length: CLIENTS - CONCURRENCY - QUEUE }, (_, index) => ask(CONCURRENCY + QUEUE + index)));
    await Promise.all([...admitted, ...flood].map((stream) => stream.finished));
    for (const stream of admitted) {
      expect(stream.status).toBe(200);
      expect(stream.events.at(-1)?.type, JSON.stringify(stream.events.filter((event) => event.type === 'error'))).toBe('answer-end');
    }
    for (const stream of flood) {
      expect(stream.status).toBe(503);
      expect(Number(stream.headers.get('retry-after'))).toBeGreaterThan(0);
    }
    const after = await ask(CLIENTS + 1);
    await after.finished;
    expect(after.status).toBe(200);
    expect(after.events.at(-1)?.type).toBe('answer-end');
    console.info(`[faults] chat load: capacity ${CONCURRENCY} running + ${QUEUE} queued, then ${flood.length} more from ${flood.length} addresses: ${admitted.length} answered, ${flood.length} shed with 503 + Retry-After, the next chat answered`);
  });

  it('sheds an intent-batch flood from one address with 429 and Retry-After; admitted batches are answered', async () => {
    const texts = Array.from({ length: 100 }, (_, index) => `is the pasta at place ${index} any good, and how long is the wait on a friday night?`);
    const responses = await Promise.all(
      Array.from({ length: 12 }, () => fetch(`${gateway.url}/api/intent/batch`, { method: 'POST', headers: { 'content-type': 'application/json', 'x-forwarded-for': '203.0.113.9' }, body: JSON.stringify({ texts }) })),
    );
    const bodies = await Promise.all(responses.map(async (response) => ({ status: response.status, retryAfter: response.headers.get('retry-after'), body: (await response.json()) as unknown })));
    const admitted = bodies.filter((entry) => entry.status === 200);
    const shed = bodies.filter((entry) => entry.status !== 200);
    for (const entry of admitted) expect((entry.body as { results: unknown[] }).results).toHaveLength(100);
    for (const entry of shed) {
      expect(entry.status).toBe(429);
      expect(Number(entry.retryAfter)).toBeGreaterThan(0);
      expect(ErrorBodySchema.parse(entry.body).error.code).toBe('rate_limited');
    }
    console.info(`[faults] intent-batch flood: 12 batches of 100 texts from one address: ${admitted.length} answered, ${shed.length} shed with 429`);
    expect(admitted.length).toBeGreaterThan(0);
    expect(shed.length).toBeGreaterThan(0);
  });
});
