import { spawn, type ChildProcess } from 'node:child_process';
import { mkdir, mkdtemp, rm, stat } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { DynamoDBClient, ScanCommand } from '@aws-sdk/client-dynamodb';
import { unmarshall } from '@aws-sdk/util-dynamodb';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { StreamEventSchema, type StreamEvent } from '@review-assistant/shared';
import { DynamoLogStore, type InteractionRecord } from '@review-assistant/cloud-gateway';
import { startDynalite, type DynaliteServer, readSse } from '@review-assistant/cloud-gateway/testing';
import { startWorker, type RunningWorker, type EmbeddedChroma } from '@review-assistant/local-worker';
import { launchChromium, openWatchedPage } from './support/chat-ui-browser.js';
import { startChromaWithReviews } from './support/review-corpus.js';

/**
 * Two gateway processes (`cloud-gateway/src/server.ts`, as `npm run gateway` runs it) share one
 * DynamoDB-compatible server (dynalite) for the worker registry, the rate-limit buckets and the
 * interaction log, and one real worker (offline backend, real Chroma): they behave as one.
 */

const repoRoot = fileURLToPath(new URL('..', import.meta.url));
const SECRET = 'e2e-many-gateways-secret-0123456789';
const ADMIN_TOKEN = 'e2e-admin-token-0123456789abcdef';
const LOG_TABLE = 'interactions';
const REGISTRY_TABLE = 'workers';
const RATE_PER_MINUTE = 4;
const RATE_BURST = 4;


interface GatewayProcess {
  name: string;
  url: string;
  child: ChildProcess;
  output: string[];
  kill(): Promise<void>;
}

async function startGatewayProcess(name: string, dynamoEndpoint: string, dataDir: string): Promise<GatewayProcess> {
  const env: Record<string, string> = {
    PATH: process.env.PATH ?? '',
    HOME: process.env.HOME ?? '',
    PORT: '0',
    HOST: '127.0.0.1',
    DATA_DIR: join(dataDir, `gateway-${name}`),
    WORKER_SHARED_SECRET: SECRET,
    ADMIN_TOKEN,
    LOG_STORE: 'dynamodb',
    LOG_TABLE,
    WORKER_REGISTRY: 'dynamodb',
    WORKER_REGISTRY_TABLE: REGISTRY_TABLE,
    // RATE_LIMIT_STORE unset: shared limits follow WORKER_REGISTRY=dynamodb
    AWS_ENDPOINT_URL_DYNAMODB: dynamoEndpoint,
    ALLOW_PRIVATE_WORKER_URLS: 'true',
    TRUST_PROXY: 'true',
    CHAT_RATE_LIMIT_PER_MINUTE: String(RATE_PER_MINUTE),
    CHAT_RATE_LIMIT_BURST: String(RATE_BURST),
    LOG_LEVEL: 'info',
  };
  // one process (no tsx wrapper), so killing it kills the gateway
  const child = spawn(process.execPath, ['--import', 'tsx', '--conditions=development', join(repoRoot, 'cloud-gateway/src/server.ts')], {
    cwd: repoRoot,
    env,
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const output: string[] = [];
  const url = await new Promise<string>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`gateway ${name} did not start:\n${output.join('')}`)), 60_000);
    const onData = (chunk: Buffer) => {
      output.push(chunk.toString('utf8'));
      const match = /gateway listening on (http:\/\/127\.0\.0\.1:\d+)/.exec(output.join(''));
      if (match?.[1]) {
        clearTimeout(timer);
        resolve(match[1]);
      }
    };
    child.stdout?.on('data', onData);
    child.stderr?.on('data', onData);
    child.once('exit', (code) => {
      clearTimeout(timer);
      reject(new Error(`gateway ${name} exited with ${code}:\n${output.join('')}`));
    });
  });
  return {
    name,
    url,
    child,
    output,
    kill: () =>
      new Promise<void>((resolve) => {
        if (child.exitCode !== null || child.signalCode !== null) return resolve();
        child.once('exit', () => resolve());
        child.kill('SIGKILL');
      }),
  };
}

let forwardedFor = 0;
/** A fresh client address per call (the gateways trust X-Forwarded-For), unless one is given. */
async function chat(gatewayUrl: string, message: string, options: { requestId?: string; clientIp?: string } = {}): Promise<{ status: number; events: StreamEvent[] }> {
  forwardedFor += 1;
  const response = await fetch(`${gatewayUrl}/api/chat`, {
    method: 'POST',
    headers: {
      'content-type': 'application/json',
      accept: 'text/event-stream',
      'x-forwarded-for': options.clientIp ?? `198.51.100.${forwardedFor}`,
      ...(options.requestId ? { 'x-request-id': options.requestId } : {}),
    },
    body: JSON.stringify({ message, sessionId: 'e2e-session' }),
  });
  const events: StreamEvent[] = [];
  if (response.ok && response.body) for await (const { data } of readSse(response.body)) events.push(StreamEventSchema.parse(data));
  else await response.text();
  return { status: response.status, events };
}

async function admin<T>(gatewayUrl: string, path: string): Promise<T> {
  const response = await fetch(`${gatewayUrl}${path}`, { headers: { authorization: `Bearer ${ADMIN_TOKEN}` } });
  expect(response.status).toBe(200);
  return (await response.json()) as T;
}

async function until<T>(probe: () => Promise<T>, accept: (value: T) => boolean, what: string, timeoutMs = 15_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await probe();
    if (accept(value)) return value;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}; last value ${JSON.stringify(value).slice(0, 500)}`);
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}

/** Every interaction record in the table, read with a plain Scan (not through the gateway's code). */
async function scanLog(): Promise<Record<string, unknown>[]> {
  const client = new DynamoDBClient(dynamo.clientConfig);
  const items: Record<string, unknown>[] = [];
  let start: Record<string, never> | undefined;
  try {
    do {
      const page = await client.send(new ScanCommand({ TableName: LOG_TABLE, ...(start ? { ExclusiveStartKey: start } : {}) }));
      items.push(...(page.Items ?? []).map((item) => unmarshall(item)));
      start = page.LastEvaluatedKey as Record<string, never> | undefined;
    } while (start);
  } finally {
    client.destroy();
  }
  return items;
}

/** The nearest-rank percentile, written here again so the test does not check the code with itself. */
function nearestRank(values: number[], p: number): number | null {
  if (values.length === 0) return null;
  const sorted = [...values].sort((a, b) => a - b);
  let rank = 1;
  while (rank < sorted.length && rank / sorted.length < p / 100) rank += 1;
  return sorted[rank - 1]!;
}

function tally(values: string[]): Record<string, number> {
  const counts: Record<string, number> = {};
  for (const value of values) counts[value] = (counts[value] ?? 0) + 1;
  return counts;
}

function startOfHour(ms: number): number {
  return ms - (ms % 3_600_000);
}

let dynamo: DynaliteServer;
let dataDir: string;
let chroma: EmbeddedChroma;
let gatewayA: GatewayProcess;
let gatewayB: GatewayProcess;
let worker: RunningWorker | undefined;
let secondWorker: RunningWorker | undefined;
const testStartedAt = Date.now();

function workerEnv(gatewayUrl: string, id: string): Record<string, string> {
  return {
    WORKER_SHARED_SECRET: SECRET,
    GATEWAY_URL: gatewayUrl,
    MODEL_BACKEND: 'offline',
    DATA_DIR: join(dataDir, id),
    CHROMA_URL: chroma.url,
    WORKER_PORT: '0',
    WORKER_ID: id,
    HEARTBEAT_INTERVAL_SECONDS: '1',
    INSPECTOR_ENABLED: 'false',
    LOG_LEVEL: 'silent',
  };
}

beforeAll(async () => {
  dataDir = await mkdtemp(join(tmpdir(), 'e2e-many-gateways-'));
  dynamo = await startDynalite();
  await dynamo.createTables({ logTable: LOG_TABLE, workerRegistryTable: REGISTRY_TABLE });
  chroma = await startChromaWithReviews(dataDir);
  [gatewayA, gatewayB] = await Promise.all([startGatewayProcess('a', dynamo.endpoint, dataDir), startGatewayProcess('b', dynamo.endpoint, dataDir)]);
  worker = await startWorker({ env: workerEnv(gatewayA.url, 'e2e-worker') });
}, 240_000);

afterAll(async () => {
  await secondWorker?.stop();
  await worker?.stop();
  await Promise.all([gatewayA?.kill(), gatewayB?.kill()]);
  await chroma?.stop();
  await dynamo?.close();
  if (dataDir) await rm(dataDir, { recursive: true, force: true });
});

type WorkersBody = { workers: { id: string; source: string }[] };

describe('two gateways on one DynamoDB', () => {
  it('answers a chat through gateway B with a worker that heartbeats only to gateway A', async () => {
    await until(() => admin<WorkersBody>(gatewayB.url, '/admin/api/workers'), (body) => body.workers.some((entry) => entry.id === 'e2e-worker'), 'gateway B to see the worker');
    const { status, events } = await chat(gatewayB.url, 'Is the biryani at Saffron House spicy?', { requestId: 'via-b-1' });
    expect(status).toBe(200);
    expect(events[0]).toMatchObject({ type: 'intent', route: 'worker' });
    const sources = events.find((event) => event.type === 'sources');
    expect(sources?.type === 'sources' && sources.items.some((item) => item.text.includes('biryani'))).toBe(true);
    expect(events.at(-1)?.type).toBe('answer-end');
    // more turns through both, so the log holds records written by each process
    for (const [index, gateway] of [gatewayA, gatewayB, gatewayA].entries()) {
      const turn = await chat(gateway.url, index === 1 ? 'How is the coffee at Green Leaf Cafe?' : 'Do reviewers complain about slow service at Green Leaf Cafe?', { requestId: `via-${gateway.name}-${index + 2}` });
      expect(turn.events[0]).toMatchObject({ type: 'intent', route: 'worker' });
      expect(turn.events.at(-1)?.type).toBe('answer-end');
    }
  });

  it('holds one chat limit per client across both gateways', async () => {
    const clientIp = '203.0.113.77';
    const statuses: number[] = [];
    for (let index = 0; index < RATE_BURST + 2; index += 1) {
      statuses.push((await chat(index % 2 ? gatewayB.url : gatewayA.url, 'hello there', { clientIp, requestId: `limit-${index}` })).status);
    }
    // each gateway alone would allow a burst of 4, so 6 alternating requests would all pass without the shared bucket
    const fallbacks = [...gatewayA.output, ...gatewayB.output].join('').split('\n').filter((line) => line.includes('shared rate limit unavailable'));
    expect({ statuses, fallbacks }).toEqual({ statuses: [200, 200, 200, 200, 429, 429], fallbacks: [] });
  });

  it('reports on either gateway every turn both served, with counts and percentiles equal to the records', async () => {
    const turnsMade = 4 + RATE_BURST;
    const items = await until(scanLog, (found) => found.length === turnsMade, 'every turn in the log table');
    const requestIds = items.map((item) => String(item.requestId));
    expect(requestIds.some((id) => id.startsWith('via-a-'))).toBe(true);
    expect(requestIds.some((id) => id.startsWith('via-b-'))).toBe(true);
    expect(JSON.stringify(items)).not.toContain('e2e-session'); // session ids are hashed
    expect(items.every((item) => item.message === undefined)).toBe(true); // LOG_MESSAGES is off

    const from = new Date(startOfHour(testStartedAt) - 3_600_000);
    const to = new Date(startOfHour(Date.now()) + 3_600_000);
    const query = `/admin/api/analytics?from=${from.toISOString()}&to=${to.toISOString()}`;
    const [fromA, fromB] = await Promise.all([admin<Record<string, unknown>>(gatewayA.url, query), admin<Record<string, unknown>>(gatewayB.url, query)]);
    expect(fromB).toEqual(fromA);

    const latencies = items.map((item) => Number(item.latencyMs));
    const firstTokens = items.flatMap((item) => (typeof item.timeToFirstTokenMs === 'number' ? [item.timeToFirstTokenMs] : []));
    const failed = items.flatMap((item) => (String(item.status).startsWith('error:') ? [String(item.status).slice(6)] : []));
    const hours = new Map<string, { turns: number; errors: number }>();
    for (let hour = from.getTime(); hour < to.getTime(); hour += 3_600_000) hours.set(new Date(hour).toISOString(), { turns: 0, errors: 0 });
    for (const item of items) {
      const bucket = hours.get(new Date(startOfHour(Date.parse(String(item.startedAt)))).toISOString())!;
      bucket.turns += 1;
      if (String(item.status).startsWith('error:')) bucket.errors += 1;
    }
    expect(fromA).toMatchObject({
      turns: turnsMade,
      byRoute: tally(items.map((item) => String(item.route))),
      byIntent: tally(items.map((item) => String((item.intent as { name: string }).name))),
      byChannel: tally(items.map((item) => String(item.channel))),
      errors: tally(failed),
      latencyMs: { p50: nearestRank(latencies, 50), p95: nearestRank(latencies, 95) },
      timeToFirstTokenMs: { p50: nearestRank(firstTokens, 50), p95: nearestRank(firstTokens, 95) },
      series: [...hours].map(([hour, counts]) => ({ hour, ...counts })),
    });
    expect((fromA.byRoute as Record<string, number>).worker).toBe(4);

    const recent = await admin<{ requests: { requestId: string }[] }>(gatewayB.url, '/admin/api/requests');
    expect(recent.requests.map((request) => request.requestId)).toEqual(expect.arrayContaining(['via-a-2', 'via-b-1', 'limit-0']));
  });

  it('renders the analytics page in Chromium under its CSP, with the same figures', async () => {
    // history for a readable chart: yesterday's turns written through the same log store the gateways use
    const history = new DynamoLogStore({ table: LOG_TABLE, client: dynamo.clientConfig });
    const now = Date.now();
    const records: InteractionRecord[] = Array.from({ length: 120 }, (_, index) => {
      const hoursAgo = 1 + ((index * 7) % 22);
      const route = index % 5 === 0 ? 'smalltalk' : index % 11 === 0 ? 'decline' : 'worker';
      const failedTurn = index % 17 === 3;
      return {
        requestId: `history-${index}`,
        sessionId: 'anonymous',
        createdAt: new Date(now - hoursAgo * 3_600_000 - index * 1000).toISOString(),
        channel: index % 3 ? 'ws' : 'sse',
        intent:
          route === 'smalltalk'
            ? { name: 'greeting', confidence: 0.97, domain: 'small_talk', outOfScope: false }
            : route === 'decline'
              ? { name: 'transfer', confidence: 0.91, domain: 'banking', outOfScope: false }
              : { name: ['restaurant_reviews', 'restaurant_suggestion', 'meal_suggestion', 'restaurant_reservation'][index % 4]!, confidence: 0.8, domain: 'dining', outOfScope: false },
        route,
        workerId: route === 'worker' && !failedTurn ? (index % 2 ? 'e2e-worker' : 'gpu-pc-2') : null,
        status: failedTurn ? (index % 2 ? 'error:no_worker' : 'error:worker_timeout') : 'ok',
        latencyMs: route === 'worker' ? 900 + ((index * 137) % 2400) : 2 + (index % 5),
        timeToFirstTokenMs: failedTurn ? null : route === 'worker' ? 300 + ((index * 53) % 900) : 1,
        answerChars: 200,
        sources: route === 'worker' ? 4 : 0,
        backend: route === 'worker' ? 'offline' : 'gateway',
      };
    });
    for (let start = 0; start < records.length; start += history.maxBatch) expect(await history.writeBatch(records.slice(start, start + history.maxBatch))).toEqual([]);
    await history.close();

    const to = new Date(startOfHour(Date.now()) + 3_600_000);
    const from = new Date(to.getTime() - 24 * 3_600_000);
    const expected = await admin<{ turns: number; errors: Record<string, number> }>(gatewayA.url, `/admin/api/analytics?from=${from.toISOString()}&to=${to.toISOString()}`);
    expect(expected.turns).toBe(120 + 4 + RATE_BURST);

    const browser = await launchChromium();
    try {
      const { context, page, problems } = await openWatchedPage(browser, { viewport: { width: 1200, height: 1180 } });
      page.on('console', (message) => {
        if (/Content Security Policy/i.test(message.text())) problems.push(`csp: ${message.text()}`);
      });
      await context.addInitScript((token) => sessionStorage.setItem('gateway-admin-token', token), ADMIN_TOKEN);
      await page.goto(`${gatewayB.url}/admin/analytics?from=${from.toISOString()}&to=${to.toISOString()}`);
      await page.waitForSelector('body[data-state="ready"]');
      expect(await page.textContent('#tile-turns')).toBe(String(expected.turns));
      const errorCount = Object.values(expected.errors).reduce((sum, n) => sum + n, 0);
      expect(await page.textContent('#tile-errors')).toContain(String(errorCount));
      expect(await page.$$eval('#errors tr', (rows) => rows.length)).toBe(Object.keys(expected.errors).length);
      for (const id of ['chart-series', 'chart-routes', 'chart-intents', 'chart-workers']) {
        // a drawn canvas has pixels that are not transparent
        const painted = await page.$eval(`#${id}`, (canvas) => {
          const pixels = (canvas as HTMLCanvasElement).getContext('2d')!.getImageData(0, 0, (canvas as HTMLCanvasElement).width, (canvas as HTMLCanvasElement).height).data;
          let count = 0;
          for (let index = 3; index < pixels.length; index += 4) if (pixels[index]! > 0) count += 1;
          return count;
        });
        expect(painted, id).toBeGreaterThan(500);
      }
      const download = page.waitForEvent('download');
      await page.click('#export');
      const csv = await (await download).path();
      const { readFile } = await import('node:fs/promises');
      const lines = (await readFile(csv!, 'utf8')).trim().split('\r\n');
      expect(lines[0]).toBe('hour,turns,errors');
      expect(lines.slice(1).reduce((sum, line) => sum + Number(line.split(',')[1]), 0)).toBe(expected.turns);

      const folder = process.env['UPDATE_SCREENSHOTS'] === '1' ? join(repoRoot, 'docs') : await mkdtemp(join(tmpdir(), 'analytics-shot-'));
      await mkdir(folder, { recursive: true });
      const file = join(folder, 'analytics.png');
      await page.screenshot({ path: file, fullPage: true });
      expect((await stat(file)).size).toBeGreaterThan(20_000);
      expect(problems).toEqual([]);
    } finally {
      await browser.close();
    }
  });

  it('removes the worker for gateway B when it says goodbye through gateway A', async () => {
    await worker!.stop();
    worker = undefined;
    await until(() => admin<WorkersBody>(gatewayB.url, '/admin/api/workers'), (body) => body.workers.length === 0, 'gateway B to drop the worker', 5_000);
    const { events } = await chat(gatewayB.url, 'Is the biryani at Saffron House spicy?');
    expect(events.at(-1)).toMatchObject({ type: 'error', code: 'no_worker' });
  });

  it('keeps serving through gateway B when gateway A is killed', async () => {
    secondWorker = await startWorker({ env: workerEnv(gatewayB.url, 'e2e-worker-2') });
    await until(() => admin<WorkersBody>(gatewayA.url, '/admin/api/workers'), (body) => body.workers.some((entry) => entry.id === 'e2e-worker-2'), 'gateway A to see the second worker');
    const before = (await scanLog()).length;
    await gatewayA.kill();
    expect(gatewayA.child.signalCode).toBe('SIGKILL');
    const { status, events } = await chat(gatewayB.url, 'Is the biryani at Saffron House spicy?', { requestId: 'after-kill' });
    expect(status).toBe(200);
    expect(events.some((event) => event.type === 'sources')).toBe(true);
    expect(events.at(-1)?.type).toBe('answer-end');
    await until(scanLog, (items) => items.length === before + 1, 'the new turn in the shared log');
  });
});
