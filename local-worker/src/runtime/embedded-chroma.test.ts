import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { createInterface } from 'node:readline';
import { setTimeout as sleep } from 'node:timers/promises';
import { fileURLToPath } from 'node:url';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { chromaHeartbeat, ensureChroma, readChromaRecord, type EmbeddedChroma } from './embedded-chroma.js';
import { findFreePort } from './tcp-ports.js';
import { isProcessAlive } from './file-lock.js';
import { GLIBC_REFUSAL, STAND_IN_GLIBC_VERSION, writePreparedLoaderCache, writeStandInChromaCli } from '../testing/glibc-stand-ins.js';

const here = fileURLToPath(new URL('.', import.meta.url));
const repoRoot = resolve(here, '../../..');
const fixture = join(here, 'embedded-chroma.fixture.ts');

interface FixtureAnswer { url: string; owned: boolean; pid: number }

/** Runs ensureChroma in a separate Node process (a "second CLI"). */
function runFixture(dataDir: string, mode: 'exit' | 'hold') {
  const child = spawn(process.execPath, ['--import', 'tsx', '--conditions=development', fixture, dataDir, mode], {
    cwd: repoRoot,
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let stderr = '';
  child.stderr.on('data', (chunk: Buffer) => {
    stderr += chunk.toString();
  });
  const answer = new Promise<FixtureAnswer>((resolveAnswer, reject) => {
    createInterface({ input: child.stdout }).once('line', (line) => resolveAnswer(JSON.parse(line) as FixtureAnswer));
    child.once('exit', (code) => reject(new Error(`fixture exited with ${code}: ${stderr}`)));
  });
  const exited = new Promise<void>((resolveExit) => {
    if (child.exitCode !== null) resolveExit();
    else child.once('exit', () => resolveExit());
  });
  return { child, answer, exited };
}

async function waitUntilGone(pid: number, timeoutMs: number): Promise<boolean> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (!isProcessAlive(pid)) return true;
    await sleep(50);
  }
  return false;
}

describe('ensureChroma (embedded)', () => {
  let dataDir: string;
  const started: EmbeddedChroma[] = [];
  const extraPids: number[] = [];

  beforeEach(async () => {
    dataDir = await mkdtemp(join(tmpdir(), 'embedded-chroma-'));
  });
  afterEach(async () => {
    for (const chroma of started.splice(0)) await chroma.stop();
    for (const pid of extraPids.splice(0)) {
      try {
        process.kill(pid, 'SIGKILL');
      } catch {
        // gone
      }
    }
    await rm(dataDir, { recursive: true, force: true });
  });

  it('starts a real Chroma that answers its heartbeat, records it, and stop() leaves no process', async () => {
    const chroma = await ensureChroma({ dataDir });
    started.push(chroma);
    expect(chroma.owned).toBe(true);
    expect(chroma.url).toBe(`http://127.0.0.1:${chroma.port}`);
    expect(await chromaHeartbeat(chroma.url)).toBe(true);
    const record = await readChromaRecord(dataDir);
    expect(record).toMatchObject({ pid: chroma.pid, port: chroma.port, path: join(dataDir, 'chroma') });
    expect(existsSync(join(dataDir, 'chroma', 'chroma.sqlite3'))).toBe(true);

    const pid = chroma.pid as number;
    await chroma.stop();
    expect(isProcessAlive(pid)).toBe(false);
    expect(await chromaHeartbeat(chroma.url, 500)).toBe(false);
    expect(await readChromaRecord(dataDir)).toBeUndefined();
  });

  it('is reused by a second process with the same DATA_DIR, which does not stop it when it exits', async () => {
    const chroma = await ensureChroma({ dataDir });
    started.push(chroma);
    const second = runFixture(dataDir, 'exit');
    const answer = await second.answer;
    await second.exited;
    expect(answer).toEqual({ url: chroma.url, owned: false, pid: chroma.pid });
    expect(isProcessAlive(chroma.pid as number)).toBe(true);
    expect(await chromaHeartbeat(chroma.url)).toBe(true);

    // and in this process too: a second call returns the same server without owning it
    const again = await ensureChroma({ dataDir });
    expect(again.owned).toBe(false);
    expect(again.url).toBe(chroma.url);
    await again.stop();
    expect(await chromaHeartbeat(chroma.url)).toBe(true);
  });

  it('kills its Chroma when the owning process dies, even by SIGKILL', async () => {
    const owner = runFixture(dataDir, 'hold');
    const answer = await owner.answer;
    extraPids.push(answer.pid, owner.child.pid as number);
    expect(answer.owned).toBe(true);
    expect(await chromaHeartbeat(answer.url)).toBe(true);
    owner.child.kill('SIGKILL');
    await owner.exited;
    expect(await waitUntilGone(answer.pid, 15_000)).toBe(true);
  });

  it('ignores a stale record whose process is gone and starts a new server', async () => {
    const port = await findFreePort();
    await writeFile(
      join(dataDir, 'chroma.json'),
      JSON.stringify({ pid: 4_194_305, port, host: '127.0.0.1', path: join(dataDir, 'chroma'), startedAt: new Date(0).toISOString() }),
    );
    const chroma = await ensureChroma({ dataDir });
    started.push(chroma);
    expect(chroma.owned).toBe(true);
    expect(chroma.pid).not.toBe(4_194_305);
    expect((await readChromaRecord(dataDir))?.pid).toBe(chroma.pid);
  });

  it('uses CHROMA_URL as given and never stops that server', async () => {
    const chroma = await ensureChroma({ dataDir });
    started.push(chroma);
    const otherDir = await mkdtemp(join(tmpdir(), 'embedded-chroma-url-'));
    try {
      const external = await ensureChroma({ dataDir: otherDir, chromaUrl: `${chroma.url}/` });
      expect(external).toMatchObject({ url: chroma.url, owned: false, pid: undefined, port: chroma.port });
      await external.stop();
      expect(await chromaHeartbeat(chroma.url)).toBe(true);
      expect(await readChromaRecord(otherDir)).toBeUndefined();
    } finally {
      await rm(otherDir, { recursive: true, force: true });
    }
  });

  it('fails with vector_store_unavailable naming CHROMA_URL when that server does not answer', async () => {
    const port = await findFreePort();
    await expect(ensureChroma({ dataDir, chromaUrl: `http://127.0.0.1:${port}` })).rejects.toMatchObject({
      code: 'vector_store_unavailable',
      message: expect.stringContaining(`CHROMA_URL=http://127.0.0.1:${port}`),
    });
  });

  it('names the port and the alternatives when a fixed port is taken', async () => {
    const chroma = await ensureChroma({ dataDir });
    started.push(chroma);
    const otherDir = await mkdtemp(join(tmpdir(), 'embedded-chroma-port-'));
    try {
      const failure = ensureChroma({ dataDir: otherDir, port: chroma.port, startTimeoutMs: 20_000 });
      await expect(failure).rejects.toMatchObject({ code: 'vector_store_unavailable' });
      await expect(failure).rejects.toThrow(new RegExp(`${chroma.port}[\\s\\S]*CHROMA_URL`));
      expect(await readChromaRecord(otherDir)).toBeUndefined();
    } finally {
      await rm(otherDir, { recursive: true, force: true });
    }
  });

  it('names the alternatives when the glibc loader cannot be prepared', async () => {
    const cacheDir = join(dataDir, 'glibc-cache');
    const path = process.env.PATH;
    // no apt-get on PATH: the preparation has to fail
    process.env.PATH = join(dataDir, 'empty-bin');
    try {
      const failure = ensureChroma({ dataDir, glibcLoader: 'always', glibcCacheDir: cacheDir });
      await expect(failure).rejects.toMatchObject({ code: 'vector_store_unavailable' });
      await expect(failure).rejects.toThrow(/preparing the Debian 13 glibc loader failed[\s\S]*docker compose up chroma[\s\S]*CHROMA_URL=/);
    } finally {
      process.env.PATH = path;
    }
    expect(existsSync(join(cacheDir, 'ready.json'))).toBe(false);
  });
});

/**
 * The glibc decisions of the launcher, on any host: the host's glibc version is injected, the
 * Chroma CLI is a stand-in that fails like bindings refused by the dynamic linker unless it runs
 * under the (stand-in) loader from a prepared cache, where it answers the heartbeat.
 */
describe('ensureChroma and the glibc loader (injected glibc version, stand-in CLI)', () => {
  let folder: string;
  let cliPath: string;
  let cacheDir: string;
  const started: EmbeddedChroma[] = [];
  beforeEach(async () => {
    folder = await mkdtemp(join(tmpdir(), 'chroma-glibc-'));
    cliPath = await writeStandInChromaCli(join(folder, 'cli'));
    cacheDir = join(folder, 'glibc-cache');
    await writePreparedLoaderCache(cacheDir);
  });
  afterEach(async () => {
    for (const chroma of started.splice(0)) await chroma.stop();
    await rm(folder, { recursive: true, force: true });
  });

  async function start(options: { glibcVersion: string; glibcLoader?: 'auto' | 'never' }) {
    const messages: string[] = [];
    const chroma = await ensureChroma({
      dataDir: join(folder, 'data'),
      handleSignals: false,
      cliPath,
      glibcCacheDir: cacheDir,
      startTimeoutMs: 20_000,
      logger: { info: (message) => messages.push(`info ${message}`), warn: (message) => messages.push(`warn ${message}`) },
      ...options,
    });
    started.push(chroma);
    return { chroma, messages };
  }

  it('on a new glibc, starts without the loader and retries under it when the bindings refuse to load', async () => {
    const { chroma, messages } = await start({ glibcVersion: '2.41' });
    expect(await chromaHeartbeat(chroma.url)).toBe(true);
    const starts = messages.filter((message) => message.startsWith('info starting embedded Chroma'));
    expect(starts).toHaveLength(2);
    expect(starts[0]).not.toContain('loader');
    expect(starts[1]).toContain(`glibc ${STAND_IN_GLIBC_VERSION} loader`);
    expect(messages).toContain('warn the chromadb bindings failed to load with this glibc; retrying under the Debian 13 loader');
  });

  it('on an old glibc, starts under the loader at once', async () => {
    const { chroma, messages } = await start({ glibcVersion: '2.36' });
    expect(await chromaHeartbeat(chroma.url)).toBe(true);
    const starts = messages.filter((message) => message.startsWith('info starting embedded Chroma'));
    expect(starts).toEqual([expect.stringContaining(`glibc ${STAND_IN_GLIBC_VERSION} loader`)]);
    expect(messages.some((message) => message.startsWith('warn'))).toBe(false);
  });

  it('with the loader turned off on an old glibc, explains the failure and names the alternatives', async () => {
    const failure = start({ glibcVersion: '2.36', glibcLoader: 'never' });
    await expect(failure).rejects.toMatchObject({ code: 'vector_store_unavailable' });
    await expect(failure).rejects.toThrow(/glibc 2\.36 \(they need 2\.39\)[\s\S]*GLIBC_2\.39' not found[\s\S]*docker compose up chroma[\s\S]*CHROMA_URL/);
    await expect(failure).rejects.toThrow(GLIBC_REFUSAL.slice(0, 40));
    expect(await readChromaRecord(join(folder, 'data'))).toBeUndefined();
  });
});
