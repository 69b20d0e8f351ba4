/**
 * Gateway benchmarks (issue 4):
 * 1. Overhead on loopback: time to first worker event and total time of a chat turn through the
 *    gateway versus calling the worker double directly, interleaved in one run; p50/p99 of the
 *    per-pair difference.
 * 2. 500 concurrent chat streams against a slow worker double: unexpected errors and the gateway's
 *    peak RSS (the gateway runs as its own child process; VmHWM from /proc).
 */
import { execFile, spawn, type ChildProcess } from 'node:child_process';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { cpus, loadavg, tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { createSignedFetch, GATEWAY_NODE_OPTIONS, readNdjson } from '@review-assistant/shared';
import { readServerSentEvents, startWorkerDouble, type WorkerDouble } from '@review-assistant/cloud-gateway/testing';
import { node22Binary, NODE22_VERSION } from '@review-assistant/infra/testing';
import { gatewayCpu } from './gateway-cpu.js';
import { percentile, type BenchSection } from './types.js';

const here = dirname(fileURLToPath(import.meta.url));
const root = join(here, '..', '..', '..');
const secret = 'bench-secret-0123456789abcdef';
const OVERHEAD_PAIRS = 1000;
const WARMUP_PAIRS = 100;
/** What production runs with (shared/src/gateway-node-flags.ts: the Dockerfile and the EC2 unit). */
export const PRODUCTION_NODE_OPTIONS = GATEWAY_NODE_OPTIONS;
const CONCURRENT_STREAMS = 500;

interface Timing {
  firstEventMs: number;
  totalMs: number;
}

interface GatewayChild {
  url: string;
  child: ChildProcess;
  mode: string;
  stop(): Promise<void>;
}

export async function buildGateway(): Promise<boolean> {
  try {
    await promisify(execFile)(process.execPath, [join(root, 'node_modules', 'typescript', 'bin', 'tsc'), '-b', 'cloud-gateway'], { cwd: root, timeout: 300_000 });
    return true;
  } catch (error) {
    console.error(`tsc -b cloud-gateway failed, running the gateway through tsx instead: ${(error as Error).message.slice(0, 300)}`);
    return false;
  }
}

/** Starts `server.ts` (compiled, as in production; tsx if the build failed) on port 0 and reads its URL from the log. */
export async function startGatewayChild(env: Record<string, string>, compiled: boolean, nodeBinary: string = process.execPath): Promise<GatewayChild> {
  const args = compiled
    ? [join(root, 'cloud-gateway', 'dist', 'server.js')]
    : ['--import', 'tsx', '--conditions=development', join(root, 'cloud-gateway', 'src', 'server.ts')];
  const child = spawn(nodeBinary, args, {
    cwd: root,
    env: { ...process.env, PORT: '0', HOST: '127.0.0.1', LOG_LEVEL: 'info', NODE_ENV: 'production', ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let stderr = '';
  child.stderr?.on('data', (chunk: Buffer) => {
    stderr += chunk.toString();
  });
  const url = await new Promise<string>((resolve, reject) => {
    let buffer = '';
    const timer = setTimeout(() => {
      // Never leave the child behind when it does not come up.
      child.kill('SIGKILL');
      reject(new Error(`gateway did not start within 60 s: ${stderr}`));
    }, 60_000);
    child.stdout?.on('data', (chunk: Buffer) => {
      buffer += chunk.toString();
      const match = /gateway listening on (http:\/\/[\d.:]+)/.exec(buffer);
      if (match) {
        clearTimeout(timer);
        resolve(match[1]!);
      }
    });
    child.once('exit', (code) => reject(new Error(`gateway exited with ${code}: ${stderr}`)));
  });
  child.stdout?.resume();
  return {
    url,
    child,
    mode: compiled ? 'compiled (`node cloud-gateway/dist/server.js`)' : 'tsx (`node --import tsx cloud-gateway/src/server.ts`)',
    async stop() {
      if (child.exitCode !== null) return;
      const exited = new Promise((resolve) => child.once('exit', resolve));
      child.kill('SIGTERM');
      const timer = setTimeout(() => child.kill('SIGKILL'), 10_000);
      await exited;
      clearTimeout(timer);
    },
  };
}

/** CPU time (user + system) a process has used so far, in ms (from /proc/<pid>/stat, 100 ticks/s). */
export async function cpuMs(pid: number): Promise<number> {
  const stat = await readFile(`/proc/${pid}/stat`, 'utf8');
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  return (Number(fields[11]) + Number(fields[12])) * 10;
}

async function procStatus(pid: number, field: 'VmRSS' | 'VmHWM'): Promise<number> {
  const status = await readFile(`/proc/${pid}/status`, 'utf8');
  const match = new RegExp(`${field}:\\s+(\\d+) kB`).exec(status);
  return match ? Number(match[1]) * 1024 : Number.NaN;
}

const signedFetch = createSignedFetch(secret);
const chatBody = JSON.stringify({ message: 'Which restaurant has the best pasta?' });

async function direct(worker: WorkerDouble): Promise<Timing> {
  const started = performance.now();
  const response = await signedFetch(`${worker.url}/v1/chat`, { method: 'POST', body: chatBody, headers: { 'content-type': 'application/json' } });
  let firstEventMs = Number.NaN;
  let last: unknown;
  for await (const event of readNdjson(response.body!)) {
    if (Number.isNaN(firstEventMs)) firstEventMs = performance.now() - started;
    last = event;
  }
  if ((last as { type?: string } | undefined)?.type !== 'answer-end') throw new Error('direct stream did not end with answer-end');
  return { firstEventMs, totalMs: performance.now() - started };
}

/** One turn through the gateway's SSE endpoint; "first event" is the first event relayed from the worker. */
async function viaGateway(url: string): Promise<Timing & { types: string[] }> {
  const started = performance.now();
  const response = await fetch(`${url}/api/chat`, { method: 'POST', body: chatBody, headers: { 'content-type': 'application/json' } });
  if (response.status !== 200) throw new Error(`gateway answered ${response.status}: ${await response.text()}`);
  let firstEventMs = Number.NaN;
  const types: string[] = [];
  for await (const { event: type } of readServerSentEvents(response.body!)) {
    types.push(type);
    if (type !== 'intent' && Number.isNaN(firstEventMs)) firstEventMs = performance.now() - started;
  }
  return { firstEventMs, totalMs: performance.now() - started, types };
}

const ms = (value: number) => `${value.toFixed(2)} ms`;
const mib = (bytes: number) => `${(bytes / 2 ** 20).toFixed(1)} MiB`;

async function overhead(compiled: boolean): Promise<BenchSection> {
  const worker = await startWorkerDouble({ secret, answer: 'The pasta at Casa Olivo is praised in many reviews for being fresh and generous, and the staff are friendly. ' });
  const dataDir = await mkdtemp(join(tmpdir(), 'gateway-bench-'));
  const gateway = await startGatewayChild(
    { WORKER_URLS: worker.url, WORKER_SHARED_SECRET: secret, DATA_DIR: dataDir, CHAT_RATE_LIMIT_BURST: '100000', CHAT_RATE_LIMIT_PER_MINUTE: '1000000', NODE_OPTIONS: PRODUCTION_NODE_OPTIONS },
    compiled,
  );
  try {
    const readiness = (await (await fetch(`${gateway.url}/readyz`)).json()) as { intentModel: { ready: boolean; version: string | null } };
    const pairs: { direct: Timing; gateway: Timing }[] = [];
    let cpuBefore = 0;
    // CPU of the bench process (client + worker double) during the direct calls: the same work minus the gateway.
    let directCpuMs = 0;
    const loadBefore = loadavg()[0] ?? Number.NaN;
    for (let index = 0; index < WARMUP_PAIRS + OVERHEAD_PAIRS; index += 1) {
      if (index === WARMUP_PAIRS) cpuBefore = await cpuMs(gateway.child.pid!);
      // Alternate which path goes first so neither always runs on a warmer cache.
      let directTiming: Timing;
      let gatewayTiming: Timing & { types: string[] };
      const timedDirect = async () => {
        const before = process.cpuUsage();
        const timing = await direct(worker);
        const used = process.cpuUsage(before);
        if (index >= WARMUP_PAIRS) directCpuMs += (used.user + used.system) / 1000;
        return timing;
      };
      if (index % 2 === 0) {
        directTiming = await timedDirect();
        gatewayTiming = await viaGateway(gateway.url);
      } else {
        gatewayTiming = await viaGateway(gateway.url);
        directTiming = await timedDirect();
      }
      if (gatewayTiming.types.at(-1) !== 'answer-end') throw new Error(`gateway stream ended with ${gatewayTiming.types.join(',')}`);
      if (index >= WARMUP_PAIRS) pairs.push({ direct: directTiming, gateway: gatewayTiming });
    }
    const gatewayCpuPerTurn = ((await cpuMs(gateway.child.pid!)) - cpuBefore) / OVERHEAD_PAIRS;
    const load = (loadBefore + (loadavg()[0] ?? Number.NaN)) / 2;
    const firstDiff = pairs.map((pair) => pair.gateway.firstEventMs - pair.direct.firstEventMs);
    const totalDiff = pairs.map((pair) => pair.gateway.totalMs - pair.direct.totalMs);
    const row = (label: string, values: number[]) =>
      `| ${label} | ${ms(Math.min(...values))} | ${ms(percentile(values, 50))} | ${ms(percentile(values, 90))} | ${ms(percentile(values, 99))} | ${ms(values.reduce((sum, value) => sum + value, 0) / values.length)} |`;
    const p50First = percentile(firstDiff, 50);
    const p99First = percentile(firstDiff, 99);
    const p50Total = percentile(totalDiff, 50);
    const p99Total = percentile(totalDiff, 99);
    return {
      title: 'Gateway overhead on loopback',
      markdown: [
        `${OVERHEAD_PAIRS} chat turns (after ${WARMUP_PAIRS} warm-up pairs), each paired with a direct signed call to the same worker double, alternating order so machine noise hits both paths alike; the double streams ${worker.options.answer?.split(' ').length ?? 0} tokens with no delay. Rows are distributions over the pairs; the **difference** rows are per-pair differences (gateway − direct). Gateway: ${gateway.mode} with \`NODE_OPTIONS=${PRODUCTION_NODE_OPTIONS}\` (production), one static worker, info-level request logs and the JSONL interaction log on, intent model ${readiness.intentModel.ready ? `loaded (${readiness.intentModel.version})` : 'not loaded (turns go to the worker as low confidence)'}.`,
        '',
        '| measure | min | p50 | p90 | p99 | mean |',
        '| --- | --- | --- | --- | --- | --- |',
        row('direct: time to first event', pairs.map((pair) => pair.direct.firstEventMs)),
        row('gateway: time to first worker event (`sources`)', pairs.map((pair) => pair.gateway.firstEventMs)),
        row('**difference, time to first event**', firstDiff),
        row('direct: total', pairs.map((pair) => pair.direct.totalMs)),
        row('gateway: total', pairs.map((pair) => pair.gateway.totalMs)),
        row('**difference, total**', totalDiff),
        '',
        '| other measure | value |',
        '| --- | --- |',
        `| gateway process CPU time per chat turn (user + system, from /proc) | ${ms(gatewayCpuPerTurn)} |`,
        `| for scale: CPU of one direct turn in the bench process (client + worker double) | ${ms(directCpuMs / OVERHEAD_PAIRS)} |`,
        `| pairs where the gateway was faster than the direct call (noise floor) | ${firstDiff.filter((value) => value < 0).length} of ${OVERHEAD_PAIRS} (first event), ${totalDiff.filter((value) => value < 0).length} (total) |`,
        `| TCP connections the worker double saw (gateway keep-alive plus direct calls) | ${new Set(worker.calls.map((call) => call.connection)).size} for ${worker.calls.length} requests |`,
        '',
        `Targets: difference p50 ≤ 1 ms, p99 ≤ 5 ms. Time to first event: p50 ${ms(p50First)} (${p50First <= 1 ? 'met' : 'missed'}), p99 ${ms(p99First)} (${p99First <= 5 ? 'met' : 'missed'}); total: p50 ${ms(p50Total)} (${p50Total <= 1 ? 'met' : 'missed'}), p99 ${ms(p99Total)} (${p99Total <= 5 ? 'met' : 'missed'}). Machine load average during the run: ${load.toFixed(1)} on ${cpus().length} cores${load > cpus().length ? ' (oversubscribed: the extra process hop waits for a core, which inflates the difference; the CPU time per turn is the load-independent cost of the gateway itself)' : ''}.`,
        'The difference includes what a real deployment pays too: SSE framing, intent prediction and routing, request signing (HMAC-SHA256 over the body), the extra loopback hop and the validation of every relayed event (`parseStreamEvent`). Client, gateway and worker double share the same 2 cores with whatever else runs on the machine, so the p99 is noisy.',
      ].join('\n'),
    };
  } finally {
    await gateway.stop();
    await worker.close();
    await rm(dataDir, { recursive: true, force: true });
  }
}

interface ConcurrencyResult {
  nodeOptions: string;
  completed: number;
  failures: string[];
  wallMs: number;
  totals: number[];
  idleRss: number;
  peakRss: number;
  peakSampled: number;
  /** CPU time (user + system) the gateway spent on the burst, ms. */
  burstCpuMs: number;
  workerCalls: number;
  mode: string;
}

async function concurrencyRun(compiled: boolean, nodeOptions: string): Promise<ConcurrencyResult> {
  // 20 tokens, 50 ms apart: each stream lasts about a second, so all 500 overlap.
  const tokens = Array.from({ length: 20 }, (_, index) => `token${index} `).join('');
  const worker = await startWorkerDouble({ secret, answer: tokens, tokenDelayMs: 50 });
  const dataDir = await mkdtemp(join(tmpdir(), 'gateway-bench-'));
  const gateway = await startGatewayChild(
    {
      WORKER_URLS: worker.url,
      WORKER_SHARED_SECRET: secret,
      DATA_DIR: dataDir,
      // One double stands in for a fleet: let the gateway send all 500 streams to it at once.
      WORKER_CONCURRENCY: String(CONCURRENT_STREAMS),
      WORKER_QUEUE: '0',
      // Every client here is 127.0.0.1: lift the per-IP chat limit for the run.
      CHAT_RATE_LIMIT_BURST: '100000',
      CHAT_RATE_LIMIT_PER_MINUTE: '1000000',
      NODE_OPTIONS: nodeOptions,
    },
    compiled,
  );
  try {
    // Warm up so the idle figure is the steady state, not the cold start.
    for (let index = 0; index < 20; index += 1) await viaGateway(gateway.url);
    const idleRss = await procStatus(gateway.child.pid!, 'VmRSS');
    let peakSampled = idleRss;
    let sampling = true;
    const sampler = (async () => {
      while (sampling) {
        peakSampled = Math.max(peakSampled, await procStatus(gateway.child.pid!, 'VmRSS'));
        await new Promise((resolve) => setTimeout(resolve, 25));
      }
    })();
    const cpuBefore = await cpuMs(gateway.child.pid!);
    const started = performance.now();
    const results = await Promise.allSettled(Array.from({ length: CONCURRENT_STREAMS }, () => viaGateway(gateway.url)));
    const wallMs = performance.now() - started;
    const burstCpuMs = (await cpuMs(gateway.child.pid!)) - cpuBefore;
    sampling = false;
    await sampler;
    const peakRss = await procStatus(gateway.child.pid!, 'VmHWM');
    const failures = results.flatMap((result) => (result.status === 'rejected' ? [String(result.reason)] : result.value.types.at(-1) === 'answer-end' && !result.value.types.includes('error') ? [] : [result.value.types.join(',')]));
    const completed = results.filter((result) => result.status === 'fulfilled').map((result) => (result as PromiseFulfilledResult<Timing>).value);
    return {
      nodeOptions,
      completed: completed.filter((timing) => (timing as Timing & { types: string[] }).types.at(-1) === 'answer-end').length,
      failures,
      wallMs,
      totals: completed.map((timing) => timing.totalMs),
      idleRss,
      peakRss,
      peakSampled,
      burstCpuMs,
      workerCalls: worker.calls.length,
      mode: gateway.mode,
    };
  } finally {
    await gateway.stop();
    await worker.close();
    await rm(dataDir, { recursive: true, force: true });
  }
}

async function concurrency(compiled: boolean): Promise<BenchSection> {
  // Production sets NODE_OPTIONS=--max-old-space-size=192 (cloud-gateway/Dockerfile, EC2 user data).
  const variants = ['--max-old-space-size=192', PRODUCTION_NODE_OPTIONS];
  const results: ConcurrencyResult[] = [];
  for (const nodeOptions of variants) results.push(await concurrencyRun(compiled, nodeOptions));
  const row = (result: ConcurrencyResult) =>
    `| \`${result.nodeOptions}\` | ${result.completed} / ${CONCURRENT_STREAMS} | ${result.failures.length}${result.failures.length ? ` (${result.failures.slice(0, 2).join('; ')})` : ''} | ${ms(result.wallMs)} | ${ms(result.burstCpuMs)} | ${ms(percentile(result.totals, 50))} / ${ms(percentile(result.totals, 99))} | ${mib(result.idleRss)} | **${mib(result.peakRss)}** ${result.peakRss < 150 * 2 ** 20 ? '(met)' : '(missed)'} |`;
  return {
    title: 'Gateway under 500 concurrent chat streams',
    markdown: [
      `${CONCURRENT_STREAMS} chat streams opened at once against one slow worker double (20 tokens, 50 ms apart: ≈1 s per stream alone). Gateway: ${results[0]?.mode}, a separate child process; RSS from \`/proc/<pid>/status\` (peak = VmHWM, target < 150 MiB). One run per V8 setting:`,
      '',
      '| NODE_OPTIONS | completed with `answer-end` | unexpected errors | wall time, all streams | gateway CPU for the burst (user + system, /proc) | per-stream total p50 / p99 | RSS idle after warm-up | peak RSS |',
      '| --- | --- | --- | --- | --- | --- | --- | --- |',
      ...results.map(row),
      '',
      `Settings for this run: \`WORKER_CONCURRENCY=${CONCURRENT_STREAMS}\` (default 8 per worker: one double stands in for a fleet of real workers, each of which would get only a few streams; with the default the extra streams would wait in the per-worker queue or get \`worker_busy\`) and the per-IP chat rate limit lifted (every client here is 127.0.0.1). Everything else is the production default, including info-level request logs and the local JSONL interaction log. \`--max-semi-space-size\` caps V8's young generation (default up to 16 MiB per semi-space on x64): under a burst of short-lived stream objects the default lets it grow, and that growth is most of the peak.`,
    ].join('\n'),
  };
}

/** One way of starting the gateway in the memory table. */
interface MemoryVariant {
  label: string;
  compiled: boolean;
  nodeOptions: string;
  /** false: INTENT_MODEL_URI names a missing file (the gateway's base memory, without the model). */
  model: boolean;
  runs: number;
  /** Also measure CPU per chat turn (the flags' cost) and the RSS after those turns. */
  cpu: boolean;
  /** The Node binary; unset: the one running the bench. */
  node?: string;
}

interface MemoryRun {
  rss: number;
  peak: number;
  ready: boolean;
  version: string | null;
  message: string | null;
  cpuPerTurnMs?: number;
  rssAfterTurns?: number;
}

const CPU_TURNS = 300;
/** The flags production ran with before the start-up collection and the one-thread pool (same run, for the before/after). */
const PREVIOUS_NODE_OPTIONS = '--max-old-space-size=192 --max-semi-space-size=4';
const RSS_TARGET_BYTES = 120e6;

/**
 * RSS of an idle gateway after /readyz turned 200, 200 intent calls and 8 chat turns, plus one
 * second to settle; with `cpu`, then CPU per chat turn over 500 more turns and the RSS after them.
 */
async function memoryRun(variant: MemoryVariant): Promise<MemoryRun> {
  const answer = Array.from({ length: 20 }, (_, index) => `token${index} `).join('');
  const worker = await startWorkerDouble({ secret, answer });
  const dataDir = await mkdtemp(join(tmpdir(), 'gateway-bench-'));
  // The production environment: the real bundled model (default INTENT_MODEL_URI), production NODE_ENV, info logs.
  // 200 intent calls from one address: above the default per-IP intent budget (INTENT_RATE_LIMIT_BURST=150).
  const gateway = await startGatewayChild(
    {
      WORKER_URLS: worker.url,
      WORKER_SHARED_SECRET: secret,
      DATA_DIR: dataDir,
      NODE_OPTIONS: variant.nodeOptions,
      INTENT_RATE_LIMIT_BURST: '1000',
      INTENT_RATE_LIMIT_PER_MINUTE: '100000',
      ...(variant.model ? {} : { INTENT_MODEL_URI: join(dataDir, 'no-model.bin.gz') }),
      // the CPU turns come after the production per-IP chat burst (CHAT_RATE_LIMIT_BURST=10), which the idle figure keeps
      ...(variant.cpu ? { CHAT_RATE_LIMIT_BURST: '100000', CHAT_RATE_LIMIT_PER_MINUTE: '1000000' } : {}),
    },
    variant.compiled,
    variant.node,
  );
  try {
    let readiness: { intentModel: { ready: boolean; version: string | null; message: string | null } } | undefined;
    for (let attempt = 0; attempt < 300; attempt += 1) {
      const response = await fetch(`${gateway.url}/readyz`);
      readiness = (await response.json()) as typeof readiness;
      if (response.status === 200 || (readiness?.intentModel.message ?? '').includes('not loaded')) break;
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
    const texts = ['where can I get good sushi tonight', 'hello there', 'what is my bank balance', 'are the reviews of Casa Olivo good?'];
    // A model that does not load (e.g. an artifact of another format version) is reported, not fatal.
    for (let index = 0; index < (readiness?.intentModel.ready ? 200 : 0); index += 1) {
      const response = await fetch(`${gateway.url}/api/intent`, { method: 'POST', body: JSON.stringify({ text: texts[index % texts.length] }), headers: { 'content-type': 'application/json' } });
      if (response.status !== 200) throw new Error(`intent call answered ${response.status}`);
      await response.arrayBuffer();
    }
    for (let index = 0; index < 8; index += 1) await viaGateway(gateway.url);
    await new Promise((resolve) => setTimeout(resolve, 1000));
    const result: MemoryRun = {
      rss: await procStatus(gateway.child.pid!, 'VmRSS'),
      peak: await procStatus(gateway.child.pid!, 'VmHWM'),
      ready: readiness?.intentModel.ready ?? false,
      version: readiness?.intentModel.version ?? null,
      message: readiness?.intentModel.message ?? null,
    };
    if (variant.cpu) {
      for (let index = 0; index < 50; index += 1) await viaGateway(gateway.url);
      const before = await cpuMs(gateway.child.pid!);
      for (let index = 0; index < CPU_TURNS; index += 1) await viaGateway(gateway.url);
      result.cpuPerTurnMs = ((await cpuMs(gateway.child.pid!)) - before) / CPU_TURNS;
      await new Promise((resolve) => setTimeout(resolve, 1000));
      result.rssAfterTurns = await procStatus(gateway.child.pid!, 'VmRSS');
      result.peak = await procStatus(gateway.child.pid!, 'VmHWM');
    }
    return result;
  } finally {
    await gateway.stop();
    await worker.close();
    await rm(dataDir, { recursive: true, force: true });
  }
}

const median = (values: number[]) => percentile(values, 50);

async function memory(compiled: boolean): Promise<BenchSection> {
  const production = `\`${PRODUCTION_NODE_OPTIONS}\` (production)`;
  const previous = `\`${PREVIOUS_NODE_OPTIONS}\` (the previous production flags: no start-up collection, four V8 threads)`;
  // Production runs Node 22 (the Docker image, the EC2 unit): its rows decide; this machine's Node beside them.
  let node22: string | undefined;
  let node22Note = '';
  try {
    node22 = await node22Binary(join(root, '.cache', 'node22'));
  } catch (error) {
    node22Note = ` Node ${NODE22_VERSION} could not be fetched (\`npm pack node-${process.platform}-${process.arch}@${NODE22_VERSION}\`: ${(error as Error).message.slice(0, 200)}), so its rows are missing: the rows below are Node ${process.version} only and production's figure is not measured.`;
  }
  const here = `Node ${process.version}`;
  const n22 = `Node ${NODE22_VERSION}`;
  const variants: MemoryVariant[] = [
    ...(node22
      ? [
          { label: `${n22} (production's Node), compiled, ${production}`, compiled: true, nodeOptions: PRODUCTION_NODE_OPTIONS, model: true, runs: 3, cpu: true, node: node22 },
          { label: `${n22}, compiled, ${previous}`, compiled: true, nodeOptions: PREVIOUS_NODE_OPTIONS, model: true, runs: 3, cpu: true, node: node22 },
          { label: `${n22}, compiled, ${production}, **without the intent model** (the gateway's base)`, compiled: true, nodeOptions: PRODUCTION_NODE_OPTIONS, model: false, runs: 3, cpu: false, node: node22 },
        ]
      : []),
    { label: `${here}, compiled, ${production}`, compiled: true, nodeOptions: PRODUCTION_NODE_OPTIONS, model: true, runs: 3, cpu: !node22 },
    { label: `${here}, compiled, ${previous}`, compiled: true, nodeOptions: PREVIOUS_NODE_OPTIONS, model: true, runs: 3, cpu: !node22 },
    ...(node22 ? [] : [{ label: `${here}, compiled, ${production}, **without the intent model** (the gateway's base)`, compiled: true, nodeOptions: PRODUCTION_NODE_OPTIONS, model: false, runs: 3, cpu: false }]),
    { label: `${here}, compiled, no NODE_OPTIONS`, compiled: true, nodeOptions: '', model: true, runs: 1, cpu: false },
    { label: `${here}, tsx \`npm run gateway\` (development), ${production}`, compiled: false, nodeOptions: PRODUCTION_NODE_OPTIONS, model: true, runs: 1, cpu: false },
  ].filter((variant) => compiled || !variant.compiled);
  const runs = new Map<MemoryVariant, MemoryRun[]>(variants.map((variant) => [variant, []]));
  // Interleaved rounds: machine noise and drift hit every variant alike.
  for (let round = 0; round < Math.max(...variants.map((variant) => variant.runs)); round += 1) {
    for (const variant of variants) if (round < variant.runs) runs.get(variant)!.push(await memoryRun(variant));
  }
  const first = runs.get(variants[0]!)![0]!;
  const row = (variant: MemoryVariant) => {
    const results = runs.get(variant)!;
    const rss = results.map((result) => result.rss);
    const worst = Math.max(...rss);
    const loaded = results.every((result) => result.ready) ? 'yes' : variant.model ? `no: ${results.find((result) => !result.ready)?.message ?? 'unknown'}` : 'no (base)';
    const spread = results.length > 1 ? ` (${mib(Math.min(...rss))}–${mib(worst)})` : '';
    const verdict = variant.model ? ` ${worst < RSS_TARGET_BYTES ? '(met)' : '(missed)'}` : '';
    const after = variant.cpu ? mib(median(results.map((result) => result.rssAfterTurns!))) : '—';
    const cpu = variant.cpu ? ms(median(results.map((result) => result.cpuPerTurnMs!))) : '—';
    return `| ${variant.label} | ${loaded} | ${results.length} | **${mib(median(rss))}**${spread}${verdict} | ${after} | ${mib(Math.max(...results.map((result) => result.peak)))} | ${cpu} |`;
  };
  return {
    title: 'Gateway memory with the intent model',
    markdown: [
      `The gateway as a child process with the bundled intent model (\`cloud-gateway/models/intent-model.bin.gz\`, version ${first.version ?? 'not loaded'}), \`NODE_ENV=production\`, one static worker double; RSS measured idle after /readyz turned 200, 200 \`POST /api/intent\` calls and 8 chat turns, plus one second to settle. RSS from \`/proc/<pid>/status\`; target < 120 MB = 114.4 MiB, **met only if every run of the row is under it** (the idle RSS of one start differs from the next by whether V8 ran a full collection after the model loaded). Rows with CPU then run ${CPU_TURNS} more chat turns (worker double: 20 deltas, no delay): gateway CPU per turn (user + system from /proc, median of the runs) and the RSS one second after them. Runs of the rows are interleaved.${node22Note}`,
      '',
      '| how the gateway runs | model loaded | runs | idle RSS: median (min–max) | RSS after the CPU turns | peak RSS (VmHWM, all runs) | CPU per chat turn |',
      '| --- | --- | --- | --- | --- | --- | --- |',
      ...variants.map(row),
      '',
      `Production runs the compiled gateway on Node 22 (the Docker image and the EC2 unit start \`node cloud-gateway/dist/server.js\` with the flags of \`shared/src/gateway-node-flags.ts\`), so the ${NODE22_VERSION} rows are the ones the target is about (the real binary from the npm registry, as in the release smoke test; the same gateway on this machine's Node ${process.version} is beside them). \`--expose-gc\` lets it run one full collection once the intent model has loaded (\`cloud-gateway/src/start-up-gc.ts\`) and \`--v8-pool-size=1\` keeps one V8 background thread instead of four: the difference between the production rows and the previous-flags rows. \`npm run gateway\` goes through tsx, whose loader and TypeScript transform add tens of MiB and are not part of the deployed process.`,
    ].join('\n'),
  };
}

export async function run(): Promise<BenchSection[]> {
  const compiled = await buildGateway();
  if (!compiled) throw new Error('the gateway did not compile: the CPU figures are only meaningful for the compiled gateway');
  return [await gatewayCpu(), await overhead(compiled), await concurrency(compiled), await memory(compiled)];
}
