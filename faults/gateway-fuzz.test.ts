import fc from 'fast-check';
import { z } from 'zod';
import { ErrorBodySchema } from '@review-assistant/shared';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestGateway } from '@review-assistant/cloud-gateway/testing';
import type { CompiledService } from './support/compiled-service.js';
import { headersArbitrary, probeArbitrary, resetArbitrary, type RouteSpec } from './support/fuzz-arbitraries.js';
import { fuzzServer, serverErrorLines } from './support/fuzz-run.js';
import { rawHead, sendProbe, sendThenReset } from './support/http-probe.js';
import { canarySecret, ingestOffline, SAMPLE_REVIEWS, startChroma, startGatewayProcess, startWorkerProcess, tempDir, type TestChroma } from './support/stack.js';

/**
 * Fuzzes every route of the compiled gateway (`node cloud-gateway/dist/server.js`, a real worker
 * process and Chroma behind it) with random methods, bodies, headers, upgrades and resets. The
 * contract: never a 5xx, never a crash, every error in the `{"error": {"code", "message"}}` shape.
 */

const SECRET = canarySecret('gateway-fuzz');
const ADMIN_TOKEN = canarySecret('admin');
const API_KEY = canarySecret('api-key');
const METRICS_TOKEN = canarySecret('metrics');
const RUNS = 400;
const RESET_RUNS = 150;
const UPGRADE_RESETS_PER_ROUTE = 10;

/**
 * The compatible APIs answer errors in their protocol's own shape (what the official clients parse):
 * OpenAI's `{"error": {"message", "type", "param", "code"}}` and Ollama's `{"error": "<message>"}`.
 */
const OpenAiErrorSchema = z.object({ error: z.object({ message: z.string().min(1), type: z.string().min(1), code: z.string().nullable() }) });
const OllamaErrorSchema = z.object({ error: z.string().min(1) });
// A request refused before routing (malformed, unknown path) gets the project's shape on any path.
const errorSchemaFor = (path: string) =>
  path.startsWith('/v1/') ? z.union([OpenAiErrorSchema, ErrorBodySchema]) : path.startsWith('/ollama/') ? z.union([OllamaErrorSchema, ErrorBodySchema]) : ErrorBodySchema;

/** The gateway's routes, read from the app itself so a new route is fuzzed without editing this file. */
function gatewayRoutes(): RouteSpec[] {
  const harness = createTestGateway();
  harness.deps.pool.stopSweeping();
  const seen = new Map<string, RouteSpec>();
  for (const route of harness.gateway.app.routes) {
    const spec = route.path === '/*' || route.path === '*' ? { method: 'GET', path: '/:anything/:else' } : { method: route.method, path: route.path };
    seen.set(`${spec.method} ${spec.path}`, spec);
  }
  return [...seen.values()];
}

let chroma: TestChroma;
let dirs: Awaited<ReturnType<typeof tempDir>>;
let worker: CompiledService;
let gateway: CompiledService;
const routes = gatewayRoutes();

beforeAll(async () => {
  chroma = await startChroma();
  await ingestOffline(chroma.chroma.url, SAMPLE_REVIEWS);
  dirs = await tempDir('gateway-fuzz');
  worker = await startWorkerProcess({ secret: SECRET, chromaUrl: chroma.chroma.url, dataDir: `${dirs.path}/worker`, env: { CHAT_QUEUE: '64' } });
  gateway = await startGatewayProcess({
    secret: SECRET,
    dataDir: `${dirs.path}/gateway`,
    workerUrls: [worker.url],
    env: {
      ADMIN_TOKEN,
      API_KEYS: API_KEY,
      METRICS_TOKEN,
      // heartbeats from fuzzed bodies must not register loopback workers
      ALLOW_PRIVATE_WORKER_URLS: 'false',
      // the fuzzer is one client sending hundreds of requests: lift the per-IP limits it would hit
      CHAT_RATE_LIMIT_PER_MINUTE: '100000',
      CHAT_RATE_LIMIT_BURST: '100000',
      INTENT_RATE_LIMIT_PER_MINUTE: '10000000',
      INTENT_RATE_LIMIT_BURST: '10000000',
    },
  });
});

afterAll(async () => {
  await gateway?.stop();
  await worker?.stop();
  await chroma?.stop();
  await dirs?.cleanup();
});

async function healthy(): Promise<boolean> {
  const result = await sendProbe(gateway.url, { method: 'GET', path: '/healthz', timeoutMs: 5000 });
  return result.kind === 'response' && result.status === 200;
}

describe('gateway fuzzing (compiled server, real worker)', () => {
  const headers = headersArbitrary({ validBearer: [ADMIN_TOKEN, API_KEY, METRICS_TOKEN] });

  it(`answers ${RUNS} random requests on every route with no 5xx and always the error shape`, async () => {
    expect(routes.length).toBeGreaterThan(15);
    const report = await fuzzServer({ url: gateway.url, arbitrary: probeArbitrary(routes, headers), runs: RUNS, alive: () => gateway.alive(), prepare: (probe) => probe, errorSchemaFor });
    console.info(`[faults] gateway fuzz: ${report.tried} requests over ${routes.length} routes, statuses ${JSON.stringify(report.statuses)}, seed ${report.seed}`);
    expect(report.violations, `seed ${report.seed}`).toEqual([]);
    expect(gateway.alive(), gateway.output().slice(-2000)).toBe(true);
    expect(await healthy()).toBe(true);
  });

  it(`survives ${RESET_RUNS} clients that reset mid-request (after the head, mid-head, mid-body) on random routes`, async () => {
    const seed = Date.now() ^ Math.floor(Math.random() * 0x7fffffff);
    for (const bytes of fc.sample(resetArbitrary(routes, headers), { numRuns: RESET_RUNS, seed })) await sendThenReset(gateway.url, bytes);
    expect(gateway.alive(), `seed ${seed}\n${gateway.output().slice(-2000)}`).toBe(true);
    expect(await healthy()).toBe(true);
  });

  it(`survives an upgrade request followed by a TCP reset, ${UPGRADE_RESETS_PER_ROUTE} times on every route`, async () => {
    let sent = 0;
    for (const route of routes) {
      const path = route.path.replace(/:[^/]+|\*/g, 'x');
      for (let attempt = 0; attempt < UPGRADE_RESETS_PER_ROUTE; attempt += 1) {
        const withKey = attempt % 2 === 1 ? { 'sec-websocket-version': '13', 'sec-websocket-key': 'dGhlIHNhbXBsZSBub25jZQ==' } : {};
        await sendThenReset(gateway.url, rawHead(route.method === 'ALL' ? 'GET' : route.method, attempt % 4 === 3 ? `/${path}` : path, { host: '127.0.0.1', connection: 'Upgrade', upgrade: 'websocket', ...withKey }), attempt % 3);
        sent += 1;
      }
    }
    console.info(`[faults] gateway: ${sent} upgrade requests reset by the client on ${routes.length} routes`);
    expect(gateway.alive(), gateway.output().slice(-2000)).toBe(true);
    expect(await healthy()).toBe(true);
  });

  it('logged no 5xx and no uncaught error for anything it was sent', () => {
    expect(serverErrorLines(gateway.lines)).toEqual([]);
    expect(gateway.output()).not.toMatch(/uncaught|unhandled/i);
    expect(gateway.alive()).toBe(true);
  });
});
