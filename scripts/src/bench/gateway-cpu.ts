/**
 * Issue 11's figures, in one run against baselines from the same run: gateway CPU time per chat
 * turn and per `POST /api/intent` (from /proc/<pid>/stat, compiled gateway, production flags),
 * `GET /healthz` requests per second against a Hono hello-world on the same machine (autocannon,
 * 10 connections), and the hello-world's own CPU per request as the floor of any Node HTTP server.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { readFile } from 'node:fs/promises';
import { cpus, loadavg } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import autocannon from 'autocannon';
import { PRODUCTION_NODE_FLAGS, startCompiledGateway, startWorkerDouble, type CompiledGateway } from '@review-assistant/cloud-gateway/testing';
import { node22Binary, NODE22_VERSION } from '@review-assistant/infra/testing';
import { percentile, type BenchSection } from './types.js';

const root = join(dirname(fileURLToPath(import.meta.url)), '..', '..', '..');
const secret = 'bench-secret-0123456789abcdef';
const PRODUCTION_FLAGS = PRODUCTION_NODE_FLAGS;
const TURNS = 1000;
const INTENT_CALLS = 2000;
const WARMUP = 200;
/** Fresh gateways whose first block of turns is measured (the chat-turn target is judged on their median). */
const FRESH_GATEWAYS = 3;
const AUTOCANNON_SECONDS = 8;
const TARGETS = { cpuPerTurnMs: 1.2, cpuPerIntentMs: 0.6, healthzRatio: 0.5 };

/** CPU time (user + system) a process has used so far, in ms (from /proc/<pid>/stat, 100 ticks/s). */
async function cpuMs(pid: number): Promise<number> {
  const stat = await readFile(`/proc/${pid}/stat`, 'utf8');
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  return (Number(fields[11]) + Number(fields[12])) * 10;
}

/** The baseline: the smallest Hono app on @hono/node-server, same Node, same flags. */
const HELLO_WORLD = `
import { serve } from '@hono/node-server';
import { Hono } from 'hono';
const app = new Hono();
app.get('/', (c) => c.text('Hello Hono!'));
app.post('/echo', async (c) => c.json(await c.req.json()));
serve({ fetch: app.fetch, port: 0, hostname: '127.0.0.1' }, (info) => console.log('listening on http://127.0.0.1:' + info.port));
`;

async function startHelloWorld(): Promise<{ url: string; child: ChildProcess; stop: () => Promise<void> }> {
  const child = spawn(process.execPath, [...PRODUCTION_FLAGS, '--input-type=module', '-e', HELLO_WORLD], { cwd: root, stdio: ['ignore', 'pipe', 'inherit'] });
  const url = await new Promise<string>((resolve, reject) => {
    let buffer = '';
    child.stdout?.on('data', (chunk: Buffer) => {
      buffer += chunk.toString();
      const match = /listening on (\S+)/.exec(buffer);
      if (match?.[1]) resolve(match[1]);
    });
    child.once('exit', (code) => reject(new Error(`hello-world exited with ${code}`)));
  });
  return {
    url,
    child,
    stop: async () => {
      const exited = new Promise((resolve) => child.once('exit', resolve));
      child.kill('SIGKILL');
      await exited;
    },
  };
}

const BENCH_GATEWAY_ENV = {
  WORKER_SHARED_SECRET: secret,
  CHAT_RATE_LIMIT_BURST: '100000',
  CHAT_RATE_LIMIT_PER_MINUTE: '1000000',
  INTENT_RATE_LIMIT_BURST: '100000',
  INTENT_RATE_LIMIT_PER_MINUTE: '1000000',
};

/** The compiled gateway with production flags against the worker double, once it is ready (rate limits lifted: every client is 127.0.0.1). */
async function startBenchGateway(workerUrl: string, nodeBinary?: string): Promise<CompiledGateway> {
  const gateway = await startCompiledGateway({ ...BENCH_GATEWAY_ENV, WORKER_URLS: workerUrl }, nodeBinary === undefined ? {} : { nodeBinary });
  for (let attempt = 0; attempt < 300; attempt += 1) {
    if ((await fetch(`${gateway.url}/readyz`)).status === 200) return gateway;
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
  await gateway.stop();
  throw new Error('the compiled gateway did not become ready within 30 s');
}

/** The first two blocks of chat turns of a fresh gateway (the first after the warm-up), in ms of CPU per turn. */
async function freshGatewayTurns(workerUrl: string, nodeBinary?: string): Promise<{ first: number; next: number }> {
  const gateway = await startBenchGateway(workerUrl, nodeBinary);
  try {
    const pid = gateway.child.pid!;
    const first = await cpuPerCall(pid, TURNS, () => chatTurn(gateway.url));
    const next = await cpuPerCall(pid, TURNS, () => chatTurn(gateway.url), 0);
    return { first, next };
  } finally {
    await gateway.stop();
  }
}

/** Median of a few samples, with their range (the first block of a fresh gateway varies from start to start: V8's compiler timing, the host). */
function spread(values: number[]): { median: number; text: string } {
  const median = percentile(values, 50);
  return { median, text: `${ms(median)} (${Math.min(...values).toFixed(3)}–${Math.max(...values).toFixed(3)}, ${values.length} gateways)` };
}

/**
 * The chat-turn figures on production's Node (the Docker image and the EC2 unit run Node 22):
 * `FRESH_GATEWAYS` fresh gateways, each the first block of turns after the warm-up, then the next.
 */
async function turnsOnProductionNode(workerUrl: string): Promise<{ version: string; first: number[]; next: number[] } | string> {
  let binary: string;
  try {
    binary = await node22Binary(join(root, '.cache', 'node22'));
  } catch (error) {
    return `Node ${NODE22_VERSION} could not be fetched (${(error as Error).message.slice(0, 200)}), so production's Node is not measured here.`;
  }
  const first: number[] = [];
  const next: number[] = [];
  for (let run = 0; run < FRESH_GATEWAYS; run += 1) {
    const turns = await freshGatewayTurns(workerUrl, binary);
    first.push(turns.first);
    next.push(turns.next);
  }
  return { version: NODE22_VERSION, first, next };
}

/** CPU the process at `pid` spends per call of `call`, over `count` sequential calls after a warm-up. */
async function cpuPerCall(pid: number, count: number, call: () => Promise<void>, warmup = WARMUP): Promise<number> {
  for (let index = 0; index < warmup; index += 1) await call();
  const before = await cpuMs(pid);
  for (let index = 0; index < count; index += 1) await call();
  return ((await cpuMs(pid)) - before) / count;
}

async function chatTurn(url: string): Promise<void> {
  const response = await fetch(`${url}/api/chat`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ message: 'Which restaurant has the best pasta?' }) });
  const text = await response.text();
  if (response.status !== 200 || !text.includes('event: answer-end')) throw new Error(`chat turn failed: ${response.status} ${text.slice(0, 200)}`);
}

const intentBody = JSON.stringify({ text: 'what do reviewers say about the pasta at casa olivo' });
async function intentCall(url: string): Promise<void> {
  const response = await fetch(`${url}/api/intent`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: intentBody });
  if (response.status !== 200) throw new Error(`intent call failed: ${response.status} ${await response.text()}`);
  await response.arrayBuffer();
}

async function echoCall(url: string): Promise<void> {
  const response = await fetch(`${url}/echo`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: intentBody });
  if (response.status !== 200) throw new Error(`echo failed: ${response.status}`);
  await response.arrayBuffer();
}

/** autocannon against `url`; also the CPU the server process at `pid` spent per request meanwhile. */
async function requestsPerSecond(url: string, pid: number): Promise<{ average: number; errors: number; cpuMs: number; requests: number }> {
  const before = await cpuMs(pid);
  const result = await autocannon({ url, connections: 10, duration: AUTOCANNON_SECONDS });
  return { average: result.requests.average, errors: result.errors + result.non2xx + result.timeouts, cpuMs: (await cpuMs(pid)) - before, requests: result.requests.total };
}

const ms = (value: number) => `${value.toFixed(3)} ms`;
const met = (ok: boolean) => (ok ? '**met**' : '**missed**');

export async function gatewayCpu(): Promise<BenchSection> {
  // 20 deltas, no delay: the relay's own cost dominates.
  const answer = Array.from({ length: 20 }, (_, index) => `token${index} `).join('');
  const worker = await startWorkerDouble({ secret, answer });
  let gateway: CompiledGateway | undefined;
  let hello: Awaited<ReturnType<typeof startHelloWorld>> | undefined;
  const loadBefore = loadavg()[0] ?? Number.NaN;
  try {
    gateway = await startBenchGateway(worker.url);
    hello = await startHelloWorld();
    const pid = gateway.child.pid!;
    const gatewayUrl = gateway.url;
    const helloUrl = hello.url;
    const perTurn = await cpuPerCall(pid, TURNS, () => chatTurn(gatewayUrl));
    const perIntent = await cpuPerCall(pid, INTENT_CALLS, () => intentCall(gatewayUrl));
    const perEcho = await cpuPerCall(hello.child.pid!, INTENT_CALLS, () => echoCall(helloUrl));
    // Interleave the two throughput runs twice so machine noise hits both alike.
    const healthz: number[] = [];
    const helloRps: number[] = [];
    let errors = 0;
    const healthzCpu = { ms: 0, requests: 0 };
    const helloCpu = { ms: 0, requests: 0 };
    for (let round = 0; round < 2; round += 1) {
      const gatewayRun = await requestsPerSecond(`${gatewayUrl}/healthz`, pid);
      const helloRun = await requestsPerSecond(`${helloUrl}/`, hello.child.pid!);
      healthz.push(gatewayRun.average);
      helloRps.push(helloRun.average);
      errors += gatewayRun.errors + helloRun.errors;
      healthzCpu.ms += gatewayRun.cpuMs;
      healthzCpu.requests += gatewayRun.requests;
      helloCpu.ms += helloRun.cpuMs;
      helloCpu.requests += helloRun.requests;
    }
    // The same turns once more, now that the process has run thousands of requests: V8 has
    // optimised the hot code by then (the first block pays for that, on the main thread and in
    // the background compiler), which is how a gateway that has been up for a while runs.
    const perWarmTurn = await cpuPerCall(pid, TURNS, () => chatTurn(gatewayUrl));
    await gateway.stop();
    gateway = undefined;
    const firstBlocks = [perTurn];
    for (let run = 1; run < FRESH_GATEWAYS; run += 1) firstBlocks.push((await freshGatewayTurns(worker.url)).first);
    const turns = spread(firstBlocks);
    const production = await turnsOnProductionNode(worker.url);
    const productionTurns = typeof production === 'string' ? undefined : { version: production.version, first: spread(production.first), next: spread(production.next) };
    const healthzCpuUs = (healthzCpu.ms * 1000) / healthzCpu.requests;
    const helloCpuUs = (helloCpu.ms * 1000) / helloCpu.requests;
    const healthzAverage = healthz.reduce((sum, value) => sum + value, 0) / healthz.length;
    const helloAverage = helloRps.reduce((sum, value) => sum + value, 0) / helloRps.length;
    const ratio = healthzAverage / helloAverage;
    const load = (loadBefore + (loadavg()[0] ?? Number.NaN)) / 2;
    return {
      title: 'Gateway CPU per request and middleware cost',
      markdown: [
        `Compiled gateway (\`node ${PRODUCTION_FLAGS.join(' ')} cloud-gateway/dist/server.js\`, production flags, info-level request logs, the local interaction log, the bundled intent model) and, as the baseline, a Hono hello-world on \`@hono/node-server\` with the same Node and flags, both child processes of this run. CPU is user + system time of the server process from \`/proc/<pid>/stat\` around ${TURNS} sequential chat turns (after ${WARMUP} warm-up; the worker double streams 20 \`answer-delta\`s with no delay) and ${INTENT_CALLS} sequential \`POST /api/intent\` calls; CPU time is what the server itself spent, so it depends little on how busy the machine is. The chat turn's first block is measured on ${FRESH_GATEWAYS} fresh gateways (the first of them is the gateway of the other rows) and reported as their median and range: from one start to the next it varies by 10–20%, with V8's compiler timing and the host's other load, which this virtual machine's CPU accounting does not separate.`,
        '',
        '| measure | gateway | baseline (hello-world) | ratio | target |',
        '| --- | --- | --- | --- | --- |',
        `| CPU per chat turn (intent, routing, signing, relaying 22 events as SSE, request log, interaction record) | ${turns.text} | — | — | ≤ ${TARGETS.cpuPerTurnMs} ms (median): ${met(turns.median <= TARGETS.cpuPerTurnMs)} |`,
        `| the same ${TURNS} turns once more, after the intent calls and the throughput runs below (V8 has optimised the hot code by then; the row above includes that warm-up) | ${ms(perWarmTurn)} | — | — | — |`,
        ...(productionTurns === undefined
          ? []
          : [
              `| CPU per chat turn on Node ${productionTurns.version} (production's Node; the other rows run on this machine's Node ${process.version}): fresh gateways, ${TURNS} turns after ${WARMUP} warm-up each | ${productionTurns.first.text} | — | — | ≤ ${TARGETS.cpuPerTurnMs} ms (median): ${met(productionTurns.first.median <= TARGETS.cpuPerTurnMs)} |`,
              `| the next ${TURNS} turns of each on Node ${productionTurns.version} | ${productionTurns.next.text} | — | — | — |`,
            ]),
        `| CPU per \`POST /api/intent\` (prediction included) vs a JSON echo | ${ms(perIntent)} | ${ms(perEcho)} | ${(perIntent / perEcho).toFixed(2)} × | ≤ ${TARGETS.cpuPerIntentMs} ms: ${met(perIntent <= TARGETS.cpuPerIntentMs)} |`,
        `| \`GET /healthz\` req/s vs hello-world \`GET /\` (autocannon, 10 connections, ${AUTOCANNON_SECONDS} s × 2 interleaved) | ${healthzAverage.toFixed(0)} | ${helloAverage.toFixed(0)} | ${(ratio * 100).toFixed(0)} % | ≥ ${TARGETS.healthzRatio * 100} %: ${met(ratio >= TARGETS.healthzRatio)} |`,
        `| for scale: server CPU per request during those runs (hello-world ÷ gateway, what the req/s ratio would be if both servers were CPU-bound) | ${healthzCpuUs.toFixed(1)} µs | ${helloCpuUs.toFixed(1)} µs | ${((helloCpuUs / healthzCpuUs) * 100).toFixed(0)} % | — |`,
        '',
        ...(typeof production === 'string' ? [production, ''] : []),
        `Errors or non-2xx answers during the throughput runs: ${errors}. Machine load average during the run: ${load.toFixed(1)} on ${cpus().length} cores (the machine is shared with other jobs: the req/s figures and their ratio move with the load, the CPU-time figures much less). autocannon runs in this process on the same cores, so how far each req/s figure is client-bound depends on the load; the CPU-per-request row is the steadier comparison.`,
      ].join('\n'),
    };
  } finally {
    await hello?.stop();
    await gateway?.stop();
    await worker.close();
  }
}
