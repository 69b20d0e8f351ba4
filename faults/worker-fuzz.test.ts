import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { signRequest } from '@review-assistant/shared';
import { createBackends, HybridRetriever, ChromaVectorStore } from '@review-assistant/local-worker';
import { createBackendWorkerApp } from '@review-assistant/local-worker/testing';
import type { CompiledService } from './support/compiled-service.js';
import { headersArbitrary, probeArbitrary, resetArbitrary, type RouteSpec } from './support/fuzz-arbitraries.js';
import { fuzzServer, serverErrorLines } from './support/fuzz-run.js';
import { sendProbe, sendThenReset, type Probe } from './support/http-probe.js';
import { canarySecret, ingestOffline, SAMPLE_REVIEWS, startChroma, startWorkerProcess, tempDir, type TestChroma } from './support/stack.js';

/**
 * Fuzzes every route of the compiled worker (`node local-worker/dist/server.js`, offline backend,
 * real Chroma). Most probes are signed with the shared signing helper over exactly the bytes sent,
 * so they get past the 401 and reach the validators and handlers; the rest carry no or broken
 * signatures. The contract: never a 5xx, never a crash, every error in the error shape.
 */

const SECRET = canarySecret('worker-fuzz');
const RUNS = 300;
const RESET_RUNS = 100;

/** The worker's routes, read from its app (built with real, idle collaborators: no I/O happens). */
async function workerRoutes(): Promise<RouteSpec[]> {
  const backends = await createBackends({ modelBackend: 'offline', ollamaHost: 'http://127.0.0.1:1', chatModel: 'x', embedModel: 'x', ollamaProbeTimeoutMs: 1, ollamaIdleTimeoutMs: 1, ollamaKeepAlive: '1m', ollamaPullMissing: false });
  const store = new ChromaVectorStore({ url: 'http://127.0.0.1:1' });
  const app = createBackendWorkerApp({ secret: SECRET, backends, retriever: new HybridRetriever({ store, embedder: backends.embeddingModel }), store, workerId: 'routes' });
  const seen = new Map<string, RouteSpec>();
  for (const route of app.routes) {
    if (route.path === '/*' || route.path === '*') continue;
    seen.set(`${route.method} ${route.path}`, { method: route.method, path: route.path });
  }
  seen.set('GET /:anything/:else', { method: 'GET', path: '/:anything/:else' });
  return [...seen.values()];
}

let chroma: TestChroma;
let dirs: Awaited<ReturnType<typeof tempDir>>;
let worker: CompiledService;
let routes: RouteSpec[];

beforeAll(async () => {
  routes = await workerRoutes();
  chroma = await startChroma();
  await ingestOffline(chroma.chroma.url, SAMPLE_REVIEWS);
  dirs = await tempDir('worker-fuzz');
  worker = await startWorkerProcess({ secret: SECRET, chromaUrl: chroma.chroma.url, dataDir: dirs.path, env: { CHAT_QUEUE: '64' } });
});

afterAll(async () => {
  await worker?.stop();
  await chroma?.stop();
  await dirs?.cleanup();
});

/** Signs a probe over its exact method, path and body bytes (what the worker verifies). */
function sign(probe: Probe): Probe {
  const signature = signRequest({ secret: SECRET, method: probe.method, path: probe.path, body: probe.body ?? '' });
  return { ...probe, headers: { ...probe.headers, ...signature } };
}

async function healthy(): Promise<boolean> {
  const result = await sendProbe(worker.url, sign({ method: 'GET', path: '/v1/health' }));
  return result.kind === 'response' && result.status === 200;
}

describe('worker fuzzing (compiled server, signed probes)', () => {
  const headers = headersArbitrary({ validBearer: [] });

  it(`answers ${RUNS} random requests, most correctly signed, with no 5xx and always the error shape`, async () => {
    expect(routes.map((route) => `${route.method} ${route.path}`)).toEqual(expect.arrayContaining(['POST /v1/chat', 'POST /v1/retrieve', 'POST /v1/embed', 'POST /v1/generate', 'GET /v1/health']));
    // seven in ten signed correctly; the others keep whatever (odd) signature headers were generated
    const arbitrary = fc.tuple(probeArbitrary(routes, headers), fc.integer({ min: 0, max: 9 })).map(([probe, roll]) => ({ probe, signed: roll < 7 }));
    const report = await fuzzServer({ url: worker.url, arbitrary, runs: RUNS, alive: () => worker.alive(), prepare: ({ probe, signed }) => (signed ? sign(probe) : probe) });
    console.info(`[faults] worker fuzz: ${report.tried} requests over ${routes.length} routes, statuses ${JSON.stringify(report.statuses)}, seed ${report.seed}`);
    expect(report.violations, `seed ${report.seed}`).toEqual([]);
    expect(report.statuses[200] ?? 0, 'some probes got past the signature check and succeeded').toBeGreaterThan(0);
    expect(worker.alive(), worker.output().slice(-2000)).toBe(true);
    expect(await healthy()).toBe(true);
  });

  it('survives clients that reset mid-request', async () => {
    const seed = Date.now() ^ Math.floor(Math.random() * 0x7fffffff);
    for (const bytes of fc.sample(resetArbitrary(routes, headers), { numRuns: RESET_RUNS, seed })) await sendThenReset(worker.url, bytes);
    expect(worker.alive(), `seed ${seed}\n${worker.output().slice(-2000)}`).toBe(true);
    expect(await healthy()).toBe(true);
  });

  it('logged no 5xx and no uncaught error', () => {
    expect(serverErrorLines(worker.lines)).toEqual([]);
    expect(worker.output()).not.toMatch(/uncaught|unhandled/i);
  });
});
