import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestGateway } from '@review-assistant/cloud-gateway/testing/gateway-harness';
import { contractViolation, rawHead, sendProbe, sendThenReset, type Probe } from './support/http-probe.js';
import { headersArbitrary, probeArbitrary, resetArbitrary, type RouteSpec } from './support/fuzz-arbitraries.js';
import type { CompiledService } from './support/compiled-service.js';
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

/** The gateway's routes, read from the app itself so a new route is fuzzed without editing this file. */
function gatewayRoutes(): RouteSpec[] {
  const harness = createTestGateway();
  harness.deps.pool.stopSweeping();
  const seen = new Map<string, RouteSpec>();
  for (const route of harness.gateway.app.routes) {
    const spec = route.path === '/*' ? { method: 'GET', path: '/:anything/:else' } : { method: route.method, path: route.path };
    seen.set(`${spec.method} ${spec.path}`, spec);
  }
  return [...seen.values()];
}

let chroma: TestChroma;
let dataDir: Awaited<ReturnType<typeof tempDir>>;
let worker: CompiledService;
let gateway: CompiledService;
const routes = gatewayRoutes();

beforeAll(async () => {
  chroma = await startChroma();
  await ingestOffline(chroma.chroma.url, SAMPLE_REVIEWS);
  dataDir = await tempDir('gateway-fuzz');
  worker = await startWorkerProcess({ secret: SECRET, chromaUrl: chroma.chroma.url, dataDir: `${dataDir.path}/worker` });
  gateway = await startGatewayProcess({
    secret: SECRET,
    dataDir: `${dataDir.path}/gateway`,
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
      LOG_LEVEL: 'info',
    },
  });
});

afterAll(async () => {
  await gateway?.stop();
  await worker?.stop();
  await chroma?.stop();
  await dataDir?.cleanup();
});

/** Runs `count` random probes and returns what broke the contract (empty when nothing did). */
async function fuzz(arbitrary: fc.Arbitrary<Probe>, count: number): Promise<{ violations: string[]; tried: number; statuses: Map<number, number>; seed: number }> {
  const seed = Date.now() ^ (Math.random() * 0x7fffffff);
  const violations: string[] = [];
  const statuses = new Map<number, number>();
  let tried = 0;
  await fc.assert(
    fc.asyncProperty(arbitrary, async (probe) => {
      tried += 1;
      const result = await sendProbe(gateway.url, { ...probe, timeoutMs: 20_000 });
      if (result.kind === 'response') statuses.set(result.status, (statuses.get(result.status) ?? 0) + 1);
      else if (!gateway.alive()) violations.push(`${probe.method} ${probe.path}: the gateway died (${result.error})`);
      const violation = contractViolation(probe, result);
      if (violation) violations.push(violation);
    }),
    { numRuns: count, seed, endOnFailure: true },
  );
  return { violations, tried, statuses, seed };
}

/** One line per kind of violation (status and reason), with a count and the first example. */
function summarize(violations: string[]): string[] {
  const kinds = new Map<string, { count: number; example: string }>();
  for (const violation of violations) {
    const kind = violation.replace(/^.*?(→ \d+|: the gateway died)/, '$1').slice(0, 80);
    const entry = kinds.get(kind) ?? { count: 0, example: violation.slice(0, 300) };
    entry.count += 1;
    kinds.set(kind, entry);
  }
  return [...kinds.values()].map(({ count, example }) => `${count}× ${example}`);
}

async function healthy(): Promise<boolean> {
  const result = await sendProbe(gateway.url, { method: 'GET', path: '/healthz', timeoutMs: 5000 });
  return result.kind === 'response' && result.status === 200;
}

function serverErrorsInLog(): string[] {
  return gateway.lines.flatMap((line) => {
    const status = line.json?.['status'];
    return typeof status === 'number' && status >= 500 ? [line.text.slice(0, 300)] : [];
  });
}

describe('gateway fuzzing (compiled server, real worker)', () => {
  const headers = headersArbitrary({ validBearer: [ADMIN_TOKEN, API_KEY, METRICS_TOKEN] });

  it(`answers ${RUNS} random requests on every route with no 5xx and always the error shape`, async () => {
    expect(routes.length).toBeGreaterThan(15);
    const { violations, tried, statuses, seed } = await fuzz(probeArbitrary(routes, headers), RUNS);
    console.info(`[faults] gateway fuzz: ${tried} requests over ${routes.length} routes, statuses ${JSON.stringify(Object.fromEntries(statuses))}, seed ${seed}`);
    expect(summarize(violations), `seed ${seed}`).toEqual([]);
    expect(gateway.alive(), gateway.output().slice(-2000)).toBe(true);
    expect(await healthy()).toBe(true);
  });

  it('survives clients that reset mid-request (after the head, mid-head, mid-body) on random routes', async () => {
    const seed = Date.now() ^ (Math.random() * 0x7fffffff);
    const samples = fc.sample(resetArbitrary(routes, headers), { numRuns: RESET_RUNS, seed });
    for (const bytes of samples) await sendThenReset(gateway.url, bytes);
    expect(gateway.alive(), `seed ${seed}\n${gateway.output().slice(-2000)}`).toBe(true);
    expect(await healthy()).toBe(true);
  });

  it('survives an upgrade request followed by a TCP reset, 10 times on every route', async () => {
    for (const route of routes) {
      const path = route.path.replace(/:[^/]+|\*/g, 'x');
      for (let attempt = 0; attempt < 10; attempt += 1) {
        const headersFor = [
          { host: '127.0.0.1', connection: 'Upgrade', upgrade: 'websocket' },
          { host: '127.0.0.1', connection: 'Upgrade', upgrade: 'websocket', 'sec-websocket-version': '13', 'sec-websocket-key': 'dGhlIHNhbXBsZSBub25jZQ==' },
        ][attempt % 2]!;
        await sendThenReset(gateway.url, rawHead(route.method === 'ALL' ? 'GET' : route.method, path, headersFor), attempt % 3);
      }
    }
    expect(gateway.alive(), gateway.output().slice(-2000)).toBe(true);
    expect(await healthy()).toBe(true);
  });

  it('logged no 5xx and no uncaught error for anything it was sent', () => {
    expect(serverErrorsInLog()).toEqual([]);
    expect(gateway.output()).not.toMatch(/uncaught|unhandled|ECONNRESET.*\n.*at /i);
    expect(gateway.alive(), gateway.output().slice(-2000)).toBe(true);
  });
});
