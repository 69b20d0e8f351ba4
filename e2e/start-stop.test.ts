// Whole-system smoke test: `npm start` exactly as a user runs it (embedded Chroma, sample ingestion,
// worker with the offline backend, gateway), one chat answer with sources over POST /api/chat (SSE),
// then Ctrl-C, and not one process of the tree left behind.
import { spawn, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { signRequest, StreamEventSchema, type StreamEvent } from '@review-assistant/shared';
import { findFreePort } from '@review-assistant/local-worker';
import { isRunning, listDescendants } from '@review-assistant/scripts';
import { readSse } from '@review-assistant/cloud-gateway/testing';

const repoRoot = fileURLToPath(new URL('..', import.meta.url));

async function waitUntil(condition: () => boolean, timeoutMs: number): Promise<boolean> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (condition()) return true;
    await sleep(100);
  }
  return condition();
}

/** Reads a whole SSE response and returns the stream events it carried, in order, schema-checked. */
async function readSseEvents(response: Response): Promise<StreamEvent[]> {
  const events: StreamEvent[] = [];
  if (!response.body) return events;
  for await (const { data } of readSse(response.body)) events.push(StreamEventSchema.parse(data));
  return events;
}

interface StartedSystem {
  child: ChildProcess;
  port: number;
  workerPort: number;
  dataDir: string;
  output: () => string;
  exited: Promise<number | null>;
  /** npm and every process below it once the system is ready. */
  tree: number[];
}

/** Runs `npm start` on free ports with a fresh DATA_DIR and waits for its "ready" line. */
async function startNpm(secret: string): Promise<StartedSystem> {
  const dataDir = await mkdtemp(join(tmpdir(), 'e2e-start-'));
  const port = await findFreePort();
  const workerPort = await findFreePort();
  const env: NodeJS.ProcessEnv = {
    ...process.env,
    PORT: String(port),
    WORKER_PORT: String(workerPort),
    DATA_DIR: dataDir,
    MODEL_BACKEND: 'offline',
    WORKER_SHARED_SECRET: secret,
    NO_COLOR: '1',
  };
  for (const name of ['CHROMA_URL', 'NGROK_AUTHTOKEN', 'NGROK_DOMAIN', 'WORKER_URLS', 'GATEWAY_URL']) delete env[name];
  // its own process group, like a foreground job in a shell, so Ctrl-C can go to the whole group
  const child = spawn('npm', ['start'], { cwd: repoRoot, env, detached: true, stdio: ['ignore', 'pipe', 'pipe'] });
  let output = '';
  child.stdout?.on('data', (chunk: Buffer) => (output += chunk.toString()));
  child.stderr?.on('data', (chunk: Buffer) => (output += chunk.toString()));
  const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
  const ready = await waitUntil(() => output.includes('ready: open') || child.exitCode !== null, 240_000);
  if (!ready || child.exitCode !== null) throw new Error(`npm start did not become ready:\n${output}`);
  const tree = [child.pid as number, ...listDescendants(child.pid as number)];
  return { child, port, workerPort, dataDir, output: () => output, exited, tree };
}

/** SIGKILLs whatever is left (only after a failed assertion) and removes DATA_DIR. */
async function cleanUp(system: StartedSystem | undefined): Promise<void> {
  if (system === undefined) return;
  for (const pid of [...system.tree, ...listDescendants(system.child.pid as number)]) {
    try {
      process.kill(pid, 'SIGKILL');
    } catch {
      // gone
    }
  }
  await rm(system.dataDir, { recursive: true, force: true });
}

describe('npm start (whole system)', () => {
  const secret = randomBytes(32).toString('hex');
  let system: StartedSystem;
  let port: number;
  let workerPort: number;

  beforeAll(async () => {
    system = await startNpm(secret);
    ({ port, workerPort } = system);
  });

  afterAll(async () => {
    await cleanUp(system);
  });

  it('prints the UI URL and serves the chat page and health endpoints', async () => {
    expect(system.output()).toContain(`ready: open http://localhost:${port}`);
    expect((await fetch(`http://127.0.0.1:${port}/healthz`)).status).toBe(200);
    expect((await fetch(`http://127.0.0.1:${port}/readyz`)).status).toBe(200);
    const page = await fetch(`http://127.0.0.1:${port}/`);
    expect(page.status).toBe(200);
    expect(page.headers.get('content-type')).toContain('text/html');
  });

  it('runs a worker that answers only signed requests', async () => {
    expect((await fetch(`http://127.0.0.1:${workerPort}/v1/health`)).status).toBe(401);
    const signed = await fetch(`http://127.0.0.1:${workerPort}/v1/health`, {
      headers: signRequest({ secret, method: 'GET', path: '/v1/health' }),
    });
    expect(signed.status).toBe(200);
  });

  it('ingested the sample reviews on first start and answers a question with sources', async () => {
    const response = await fetch(`http://127.0.0.1:${port}/api/chat`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', accept: 'text/event-stream' },
      body: JSON.stringify({ message: 'Which restaurant has good vegan options?' }),
    });
    expect(response.status).toBe(200);
    expect(response.headers.get('content-type')).toContain('text/event-stream');
    const events = await readSseEvents(response);
    const types = events.map((event) => event.type);
    expect(types).not.toContain('error');
    const sources = events.find((event) => event.type === 'sources');
    expect(sources?.type === 'sources' ? sources.items.length : 0).toBeGreaterThan(0);
    if (sources?.type === 'sources') {
      for (const item of sources.items) expect(item.metadata.source).toBe('reviews.csv');
    }
    const answer = events.flatMap((event) => (event.type === 'answer-delta' ? [event.text] : [])).join('');
    expect(answer.trim().length).toBeGreaterThan(0);
    expect(types.at(-1)).toBe('answer-end');
    expect(types.indexOf('sources')).toBeLessThan(types.indexOf('answer-delta'));
  });

  it('stops everything on Ctrl-C and leaves no process behind', async () => {
    expect(system.tree.length).toBeGreaterThanOrEqual(4);
    const everything = [...new Set([...system.tree, ...listDescendants(system.child.pid as number)])];
    process.kill(-(system.child.pid as number), 'SIGINT');
    await system.exited;
    expect(await waitUntil(() => everything.every((pid) => !isRunning(pid)), 15_000)).toBe(true);
    expect(system.output()).toContain('stopping chroma');
    expect(system.output()).not.toContain('killing everything now');
  });
});

describe('npm start stopped by SIGTERM to npm alone', () => {
  let system: StartedSystem | undefined;
  afterAll(async () => {
    await cleanUp(system);
  });

  it('stops the whole system although npm does not pass the signal on', async () => {
    system = await startNpm(randomBytes(32).toString('hex'));
    const everything = system.tree;
    process.kill(system.child.pid as number, 'SIGTERM');
    await system.exited;
    expect(await waitUntil(() => everything.every((pid) => !isRunning(pid)), 20_000)).toBe(true);
    expect(system.output()).toContain('has exited');
  });
});
