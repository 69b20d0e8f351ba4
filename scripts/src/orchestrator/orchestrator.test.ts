import { spawn } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { createServer, type Server } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { fileURLToPath } from 'node:url';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { DEFAULT_COLLECTION } from '@review-assistant/shared';
import { readChromaRecord, findFreePort, OfflineEmbeddingModel } from '@review-assistant/local-worker';
import { startTestChroma } from '@review-assistant/local-worker/testing';
import { startSystem, type RunningSystem } from './orchestrator.js';
import { PortInUseError } from './port-check.js';
import { commandLine, isRunning, listDescendants } from './process-tree.js';

const here = (file: string) => fileURLToPath(new URL(file, import.meta.url));
const repoRoot = fileURLToPath(new URL('../../..', import.meta.url));
const fixtures = {
  workerEntry: here('./fixtures/worker-server.ts'),
  gatewayEntry: here('./fixtures/gateway-server.ts'),
  ingestEntry: here('./fixtures/ingest.ts'),
};

async function waitUntil(condition: () => boolean, timeoutMs: number): Promise<boolean> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (condition()) return true;
    await sleep(50);
  }
  return condition();
}

describe('startSystem', () => {
  let dataDir: string;
  let env: NodeJS.ProcessEnv;
  let output: string;
  const running: RunningSystem[] = [];

  beforeEach(async () => {
    dataDir = await mkdtemp(join(tmpdir(), 'orchestrator-'));
    const port = await findFreePort();
    const workerPort = await findFreePort();
    env = { ...process.env, PORT: String(port), WORKER_PORT: String(workerPort), DATA_DIR: dataDir, HOST: '127.0.0.1' };
    delete env.WORKER_SHARED_SECRET;
    delete env.CHROMA_URL;
    output = '';
  });
  afterEach(async () => {
    for (const system of running.splice(0)) await system.stop();
    await rm(dataDir, { recursive: true, force: true });
  });

  it('starts Chroma, ingests the sample into an empty collection, starts worker and gateway, and stop() leaves no process', async () => {
    const sampleCsv = join(dataDir, 'sample.csv');
    await writeFile(sampleCsv, 'Title,Review\nGood,Great pasta\n');
    const system = await startSystem({ repoRoot, env, ...fixtures, sampleCsv, inspectReviews: async () => ({ count: 0, embeddingModel: null, otherSource: null }), write: (text) => (output += text) });
    running.push(system);

    expect(system.uiUrl).toBe(`http://localhost:${env.PORT}`);
    const readyz = await fetch(`${system.gatewayUrl}/readyz`);
    expect(readyz.status).toBe(200);
    // the worker heartbeats its loopback URL, which a gateway refuses unless told this is one machine
    expect(await readyz.json()).toMatchObject({ allowPrivateWorkerUrls: 'true' });
    // the worker only answers signed requests, and the gateway got the same (generated) secret
    expect((await fetch(`${system.workerUrl}/v1/health`)).status).toBe(401);

    const seenByWorker = JSON.parse(readFileSync(join(dataDir, 'fixture-worker.json'), 'utf8')) as Record<string, unknown>;
    expect(seenByWorker).toMatchObject({ chromaUrl: system.chroma.url, gatewayUrl: `http://127.0.0.1:${env.PORT}`, dataDir, secretLength: 64 });
    const ingests = readFileSync(join(dataDir, 'fixture-ingest.jsonl'), 'utf8').trim().split('\n').map((line) => JSON.parse(line) as unknown);
    expect(ingests).toEqual([{ args: [sampleCsv], chromaUrl: system.chroma.url }]);

    // prefixed logs, pino JSON made readable, and the secret never printed
    expect(output).toMatch(/\[worker\].*fixture worker listening port=\d+/);
    expect(output).toContain('[gateway]');
    expect(output).toContain('[chroma]');
    expect(output).toContain(`open http://localhost:${env.PORT}`);
    const secret = String(seenByWorker['secret']);
    expect(secret).toMatch(/^[0-9a-f]{64}$/);
    expect(output).toContain('WORKER_SHARED_SECRET is not set: using a random secret for this run');
    // neither the secret nor any 12-character piece of it appears in what the orchestrator printed
    for (let start = 0; start + 12 <= secret.length; start += 1) expect(output).not.toContain(secret.slice(start, start + 12));

    const pids = [...system.services.map((service) => service.pid), system.chroma.pid as number];
    expect(pids.every(isRunning)).toBe(true);
    await system.stop();
    expect(pids.filter(isRunning)).toEqual([]);
    expect(await readChromaRecord(dataDir)).toBeUndefined();
  });

  it('does not ingest when the collection already holds records', async () => {
    const sampleCsv = join(dataDir, 'sample.csv');
    await writeFile(sampleCsv, 'Title,Review\nGood,Great pasta\n');
    const system = await startSystem({ repoRoot, env, ...fixtures, sampleCsv, inspectReviews: async () => ({ count: 12, embeddingModel: null, otherSource: null }), write: (text) => (output += text) });
    running.push(system);
    expect(existsSync(join(dataDir, 'fixture-ingest.jsonl'))).toBe(false);
    expect(output).toContain('holds 12 records');
  });

  describe('when the reviews collection was built with an embedding model the worker no longer uses', () => {
    const staleModel = 'offline-hashed-ngram-tf-v1';
    const workerModel = new OfflineEmbeddingModel().modelId;
    let chroma: Awaited<ReturnType<typeof startTestChroma>>;
    let sampleCsv: string;

    beforeEach(async () => {
      chroma = await startTestChroma();
      env.CHROMA_URL = chroma.chroma.url;
      env.MODEL_BACKEND = 'offline';
      sampleCsv = join(dataDir, 'sample.csv');
      await writeFile(sampleCsv, 'Title,Review\nGood,Great pasta\n');
    });
    afterEach(() => chroma.stop());

    async function seed(model: string, sources: string[]) {
      await chroma.store.ensureCollection(DEFAULT_COLLECTION, model);
      await chroma.store.upsert(
        DEFAULT_COLLECTION,
        sources.map((source, row) => ({ id: `${source}:${row}`, text: 'Great pasta', embedding: [1, 0, 0], metadata: { source, row } })),
      );
    }
    const ingestsOf = () => readFileSync(join(dataDir, 'fixture-ingest.jsonl'), 'utf8').trim().split('\n').map((line) => JSON.parse(line) as unknown);

    it('re-ingests the sample with --reset when the collection holds only the sample', async () => {
      await seed(staleModel, ['sample.csv', 'sample.csv']);
      running.push(await startSystem({ repoRoot, env, ...fixtures, sampleCsv, write: (text) => (output += text) }));
      expect(ingestsOf()).toEqual([{ args: [sampleCsv, '--reset'], chromaUrl: chroma.chroma.url }]);
      expect(output).toContain(`built with embedding model "${staleModel}" but the worker uses "${workerModel}": re-ingesting the sample reviews with --reset`);
    });

    it("leaves the user's reviews untouched and names the command that re-ingests them", async () => {
      await seed(staleModel, ['sample.csv', 'mine.csv']);
      running.push(await startSystem({ repoRoot, env, ...fixtures, sampleCsv, write: (text) => (output += text) }));
      expect(existsSync(join(dataDir, 'fixture-ingest.jsonl'))).toBe(false);
      expect(await chroma.store.count(DEFAULT_COLLECTION)).toBe(2);
      const line = output.split('\n').find((text) => text.includes(staleModel)) ?? '';
      expect(line).toContain(`but the worker uses "${workerModel}"`);
      expect(line).toContain('mine.csv');
      expect(line).toContain('npm run ingest -- <file.csv> --reset');
    });

    it('ingests nothing when the collection was built with the model the worker uses', async () => {
      await seed(workerModel, ['mine.csv']);
      running.push(await startSystem({ repoRoot, env, ...fixtures, sampleCsv, write: (text) => (output += text) }));
      expect(existsSync(join(dataDir, 'fixture-ingest.jsonl'))).toBe(false);
      expect(output).toContain('holds 1 records: no ingestion needed');
    });
  });

  it('refuses a port in use with a message naming the port and the variable, before starting anything', async () => {
    const blocker: Server = createServer();
    await new Promise<void>((resolve) => blocker.listen(Number(env.WORKER_PORT), '127.0.0.1', resolve));
    try {
      const failure = startSystem({ repoRoot, env, ...fixtures, sampleCsv: null, write: (text) => (output += text) });
      await expect(failure).rejects.toBeInstanceOf(PortInUseError);
      await expect(failure).rejects.toThrow(`Port ${env.WORKER_PORT} (worker) is already in use`);
      await expect(failure).rejects.toThrow(/WORKER_PORT=\d+ npm start/);
      expect(existsSync(join(dataDir, 'chroma.json'))).toBe(false);
    } finally {
      blocker.close();
    }
  });

  it('stops what it started when a service dies during start-up and reports its last lines', async () => {
    const failure = startSystem({
      repoRoot,
      env,
      ...fixtures,
      workerEntry: join(dataDir, 'missing-worker.ts'),
      sampleCsv: null,
      write: (text) => (output += text),
    });
    await expect(failure).rejects.toThrow(/worker exited \(1\) before GET \/v1\/health/);
    expect(await readChromaRecord(dataDir)).toBeUndefined();
  });
});

describe('npm start process (runStart)', () => {
  let dataDir: string;
  let env: NodeJS.ProcessEnv;
  const leftovers: number[] = [];

  beforeEach(async () => {
    dataDir = await mkdtemp(join(tmpdir(), 'orchestrator-signals-'));
    env = { ...process.env, PORT: String(await findFreePort()), WORKER_PORT: String(await findFreePort()), DATA_DIR: dataDir };
    delete env.WORKER_SHARED_SECRET;
    delete env.CHROMA_URL;
  });
  afterEach(async () => {
    for (const pid of leftovers.splice(0)) {
      try {
        process.kill(pid, 'SIGKILL');
      } catch {
        // gone, as it should be
      }
    }
    await rm(dataDir, { recursive: true, force: true });
  });

  /** Starts the fixture `npm start` in its own process group, like a shell does for a foreground job. */
  async function launch(extraEnv: NodeJS.ProcessEnv = {}) {
    const child = spawn(process.execPath, ['--import', 'tsx', '--conditions=development', here('./fixtures/start.ts')], {
      cwd: repoRoot,
      env: { ...env, ...extraEnv },
      detached: true,
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let output = '';
    child.stdout.on('data', (chunk: Buffer) => (output += chunk.toString()));
    child.stderr.on('data', (chunk: Buffer) => (output += chunk.toString()));
    const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
    const ready = await waitUntil(() => output.includes('ready: open'), 90_000);
    if (!ready) throw new Error(`fixture npm start did not become ready:\n${output}`);
    const pid = child.pid as number;
    const tree = listDescendants(pid);
    leftovers.push(pid, ...tree);
    return { child, pid, tree, exited, output: () => output };
  }

  it('stops worker, gateway and Chroma on Ctrl-C (SIGINT to the process group) and exits 0', async () => {
    const started = await launch();
    // worker, gateway and Chroma (Chroma's loader may exec, so match by command line)
    expect(started.tree.length).toBeGreaterThanOrEqual(3);
    expect(started.tree.some((pid) => commandLine(pid)?.some((arg) => arg.endsWith('cli.mjs')))).toBe(true);
    process.kill(-started.pid, 'SIGINT');
    // the same Ctrl-C relayed by a wrapper (tsx, npm) must not count as a second, "kill now" press
    process.kill(started.pid, 'SIGINT');
    expect(await started.exited).toBe(0);
    expect(started.output()).not.toContain('killing everything now');
    expect(await waitUntil(() => started.tree.every((pid) => !isRunning(pid)), 10_000)).toBe(true);
    expect(started.output()).toContain('stopping chroma');
  });

  it('stops everything on SIGTERM sent to the orchestrator alone', async () => {
    const started = await launch();
    process.kill(started.pid, 'SIGTERM');
    expect(await started.exited).toBe(0);
    expect(started.tree.filter(isRunning)).toEqual([]);
  });

  it('leaves no orphan even when the orchestrator itself is SIGKILLed', async () => {
    const started = await launch();
    process.kill(started.pid, 'SIGKILL');
    await started.exited;
    expect(await waitUntil(() => started.tree.every((pid) => !isRunning(pid)), 15_000)).toBe(true);
  });

  it('escalates to SIGKILL for a service that ignores SIGTERM', async () => {
    const started = await launch({ FIXTURE_IGNORE_SIGTERM: '1' });
    process.kill(started.pid, 'SIGTERM');
    expect(await started.exited).toBe(0);
    expect(started.tree.filter(isRunning)).toEqual([]);
    expect(started.output()).toContain('did not stop within');
  });

  it('shuts everything down and exits 1 when a service dies on its own', async () => {
    const started = await launch({ FIXTURE_WORKER_EXIT_AFTER_MS: '4000' });
    expect(await started.exited).toBe(1);
    expect(started.output()).toMatch(/worker exited unexpectedly \(3\)/);
    expect(await waitUntil(() => started.tree.every((pid) => !isRunning(pid)), 10_000)).toBe(true);
  });
});
