import { spawn, type ChildProcess } from 'node:child_process';
import { createWriteStream, readFileSync, rmSync, type WriteStream } from 'node:fs';
import { mkdir, readFile, rm, writeFile } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import { createInterface } from 'node:readline';
import { setTimeout as sleep } from 'node:timers/promises';
import { stripVTControlCharacters } from 'node:util';
import { z } from 'zod';
import { AppError } from '@review-assistant/shared';
import { isProcessAlive, withFileLock } from './file-lock.js';
import { findFreePort, isPortFree } from './tcp-ports.js';
import {
  chromadbPackageDir,
  isGlibcLoadError,
  needsNewerGlibc,
  prepareGlibcLoader,
  REQUIRED_GLIBC_VERSION,
  runtimeGlibcVersion,
  silentLogger,
  type GlibcLoader,
  type LauncherLogger,
} from './glibc-loader.js';

export type { LauncherLogger } from './glibc-loader.js';

/** Options of {@link ensureChroma}. */
export interface EnsureChromaOptions {
  /** Local state folder (`DATA_DIR`): the database goes to `<dataDir>/chroma`, the record to `<dataDir>/chroma.json`. */
  dataDir: string;
  /** An external Chroma server (`CHROMA_URL`); when set nothing is started. */
  chromaUrl?: string | undefined;
  logger?: LauncherLogger | undefined;
  /**
   * Port for a newly started server.
   * @default 0 (a free port)
   */
  port?: number | undefined;
  /**
   * How long to wait for the heartbeat of a new server.
   * @default 60_000
   */
  startTimeoutMs?: number | undefined;
  /** Receives each line Chroma prints (ANSI colours removed). Default: appended to `<dataDir>/chroma.log`. */
  onOutput?: ((line: string) => void) | undefined;
  /**
   * Kill an owned server when this process gets SIGINT, SIGTERM or SIGHUP (and re-raise the signal
   * when nobody else listens to it). Pass false when the caller stops the server itself.
   * @default true
   */
  handleSignals?: boolean | undefined;
  /**
   * `auto`: use the Debian 13 glibc loader when this host's glibc is too old or the bindings fail
   * to load; `always` / `never` force the choice.
   * @default 'auto'
   */
  glibcLoader?: 'auto' | 'always' | 'never' | undefined;
  /** Where the glibc loader is cached. @default `<project>/.cache/trixie-glibc` */
  glibcCacheDir?: string | undefined;
  /** glibc version of this host, for the `auto` choice and messages. @default {@link runtimeGlibcVersion} */
  glibcVersion?: string | undefined;
  /** Chroma's CLI script, started with Node as `<cli> run --path ... --port ...`. @default the `chromadb` package's `dist/cli.mjs` */
  cliPath?: string | undefined;
}

/** A running Chroma server. */
export interface EmbeddedChroma {
  /** Base URL, e.g. `http://127.0.0.1:40123`. */
  url: string;
  host: string;
  port: number;
  /** True when this call started the server; only the owner's `stop()` stops it. */
  owned: boolean;
  /** Process id of an embedded server (owned or reused); undefined for `CHROMA_URL`. */
  pid: number | undefined;
  /** Stops an owned server (SIGKILL, then waits until the process is gone); no-op otherwise. */
  stop(): Promise<void>;
}

const HOST = '127.0.0.1';
const HEARTBEAT_PATH = '/api/v2/heartbeat';
const RECORD_FILE = 'chroma.json';

const HeartbeatSchema = z.object({ 'nanosecond heartbeat': z.number() });

const ChromaRecordSchema = z.object({
  pid: z.number().int().positive(),
  port: z.number().int().positive(),
  host: z.string(),
  path: z.string(),
  startedAt: z.string(),
});
export type ChromaRecord = z.infer<typeof ChromaRecordSchema>;

/**
 * Runs inside the Chroma process in front of the chromadb CLI. The CLI blocks Node's main thread
 * in native code, so this watchdog lives in a worker thread: when the process that started Chroma
 * dies (even by SIGKILL) the parent pid changes and the watchdog kills Chroma, so no orphan is left.
 */
const CHILD_SCRIPT = `
import { Worker } from 'node:worker_threads';
import { pathToFileURL } from 'node:url';
const parent = process.ppid;
new Worker("setInterval(() => { if (process.ppid !== " + parent + ") process.kill(process.pid, 'SIGKILL'); }, 250);", { eval: true });
const [cli, ...rest] = process.argv.slice(1);
process.argv = [process.argv[0], cli, ...rest];
await import(pathToFileURL(cli).href);
`;

/** The unavailable-Chroma error, naming the ways out. */
function chromaUnavailable(reason: string, cause?: unknown): AppError {
  return new AppError(
    'vector_store_unavailable',
    `${reason} Alternatives: run a Chroma server yourself (\`docker compose up chroma\`, or \`docker run -p 8000:8000 chromadb/chroma\`) and set CHROMA_URL=http://127.0.0.1:8000.`,
    cause === undefined ? {} : { cause },
  );
}

/** GETs `/api/v2/heartbeat`; resolves true when it answers like Chroma. */
export async function chromaHeartbeat(url: string, timeoutMs = 2_000): Promise<boolean> {
  try {
    const response = await fetch(new URL(HEARTBEAT_PATH, url), { signal: AbortSignal.timeout(timeoutMs) });
    if (!response.ok) return false;
    return HeartbeatSchema.safeParse(await response.json()).success;
  } catch {
    return false;
  }
}

/** Reads `<dataDir>/chroma.json`; undefined when absent or unreadable. */
export async function readChromaRecord(dataDir: string): Promise<ChromaRecord | undefined> {
  try {
    const parsed = ChromaRecordSchema.safeParse(JSON.parse(await readFile(join(resolve(dataDir), RECORD_FILE), 'utf8')));
    return parsed.success ? parsed.data : undefined;
  } catch {
    return undefined;
  }
}

/** On Linux, checks that `pid` is the chromadb CLI serving `path` (guards against a reused pid). */
function isChromaProcess(pid: number, path: string): boolean {
  if (!isProcessAlive(pid)) return false;
  let commandLine: string;
  try {
    commandLine = readFileSync(`/proc/${pid}/cmdline`, 'utf8');
  } catch {
    return process.platform !== 'linux';
  }
  const args = commandLine.split('\0');
  return args.some((arg) => arg.endsWith(join('chromadb', 'dist', 'cli.mjs'))) && args.includes(path);
}

async function waitForExit(pid: number, child: ChildProcess | undefined, timeoutMs: number): Promise<boolean> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (child !== undefined ? child.exitCode !== null || child.signalCode !== null : !isProcessAlive(pid)) return true;
    await sleep(25);
  }
  return !isProcessAlive(pid);
}

function external(url: string): EmbeddedChroma {
  const parsed = new URL(url);
  const port = parsed.port === '' ? (parsed.protocol === 'https:' ? 443 : 80) : Number(parsed.port);
  return { url: url.replace(/\/+$/, ''), host: parsed.hostname, port, owned: false, pid: undefined, stop: async () => {} };
}

/**
 * Returns a Chroma server to talk to:
 * 1. `chromaUrl` (`CHROMA_URL`) set: checks its heartbeat and returns it.
 * 2. `<dataDir>/chroma.json` names a live embedded server for this data dir (started by `npm start`
 *    or another CLI): reuses it.
 * 3. Otherwise starts the `chroma` CLI of the `chromadb` npm package on a free port with data in
 *    `<dataDir>/chroma` (under the Debian 13 glibc loader on hosts older than glibc 2.39), waits
 *    for its heartbeat and records pid/port in `<dataDir>/chroma.json`.
 * Fails with a `vector_store_unavailable` AppError naming the alternatives.
 */
export async function ensureChroma(options: EnsureChromaOptions): Promise<EmbeddedChroma> {
  const logger = options.logger ?? silentLogger;
  if (options.chromaUrl !== undefined && options.chromaUrl !== '') {
    if (!(await chromaHeartbeat(options.chromaUrl, 5_000))) {
      throw new AppError(
        'vector_store_unavailable',
        `Chroma at CHROMA_URL=${options.chromaUrl} does not answer ${HEARTBEAT_PATH}. Start that server, or unset CHROMA_URL to use the embedded one.`,
      );
    }
    logger.info(`using Chroma at ${options.chromaUrl}`);
    return external(options.chromaUrl);
  }

  const dataDir = resolve(options.dataDir);
  await mkdir(dataDir, { recursive: true });
  const startTimeoutMs = options.startTimeoutMs ?? 60_000;
  return withFileLock(
    join(dataDir, 'chroma.lock'),
    async () => {
      const reused = await reuseRecorded(dataDir);
      if (reused !== undefined) {
        logger.info(`reusing embedded Chroma at ${reused.url} (pid ${reused.pid})`);
        return reused;
      }
      return startChroma(dataDir, options, logger, startTimeoutMs);
    },
    { timeoutMs: startTimeoutMs + 300_000 },
  );
}

async function reuseRecorded(dataDir: string): Promise<EmbeddedChroma | undefined> {
  const record = await readChromaRecord(dataDir);
  if (record === undefined) return undefined;
  const url = `http://${record.host}:${record.port}`;
  if (isChromaProcess(record.pid, record.path) && (await chromaHeartbeat(url))) {
    return { url, host: record.host, port: record.port, owned: false, pid: record.pid, stop: async () => {} };
  }
  await rm(join(dataDir, RECORD_FILE), { force: true });
  return undefined;
}

interface Launch {
  child: ChildProcess;
  port: number;
  /** Resolves when the heartbeat answers; rejects with the output when the process dies first. */
  ready: Promise<void>;
  output: string[];
  closeLog(): void;
}

function launch(dataDir: string, port: number, loader: GlibcLoader | undefined, options: EnsureChromaOptions, startTimeoutMs: number): Launch {
  const chromaPath = join(dataDir, 'chroma');
  const cli = options.cliPath ?? join(chromadbPackageDir(), 'dist', 'cli.mjs');
  const nodeArgs = ['--input-type=module', '-e', CHILD_SCRIPT, cli, 'run', '--path', chromaPath, '--host', HOST, '--port', String(port)];
  const [command, args] =
    loader === undefined
      ? [process.execPath, nodeArgs]
      : [loader.loaderPath, ['--library-path', loader.libraryPath, process.execPath, ...nodeArgs]];
  const env = { ...process.env };
  // the parent may run under a TypeScript loader; Chroma's plain ESM CLI needs none of it
  delete env.NODE_OPTIONS;
  // Chroma's Rust server logs every HTTP request at INFO (several lines each); keep warnings and
  // errors unless the user asks for more with RUST_LOG
  env.RUST_LOG ??= 'warn';
  const child = spawn(command, args, {
    // own process group: a terminal's Ctrl-C must not reach Chroma (it would spin at 100% CPU);
    // the launcher kills it in order
    detached: true,
    stdio: ['ignore', 'pipe', 'pipe'],
    env,
  });
  child.unref();
  const output: string[] = [];
  let log: WriteStream | undefined;
  const onOutput = options.onOutput ?? ((line: string) => {
    log ??= createWriteStream(join(dataDir, 'chroma.log'), { flags: 'a' });
    log.write(`${line}\n`);
  });
  for (const stream of [child.stdout, child.stderr]) {
    if (stream === null) continue;
    (stream as unknown as { unref?: () => void }).unref?.();
    createInterface({ input: stream }).on('line', (raw) => {
      const line = stripVTControlCharacters(raw).trimEnd();
      if (line.trim() === '') return;
      output.push(line);
      if (output.length > 60) output.shift();
      onOutput(line);
    });
  }
  const url = `http://${HOST}:${port}`;
  const ready = (async () => {
    const deadline = Date.now() + startTimeoutMs;
    let spawnError: Error | undefined;
    child.once('error', (error) => {
      spawnError = error;
    });
    while (Date.now() < deadline) {
      if (spawnError !== undefined) throw spawnError;
      if (child.exitCode !== null || child.signalCode !== null) {
        // let the last lines of output arrive
        await sleep(50);
        throw new Error(`Chroma exited (${child.exitCode ?? child.signalCode}) before answering its heartbeat.`);
      }
      if (await chromaHeartbeat(url, 1_000)) return;
      await sleep(100);
    }
    throw new Error(`Chroma did not answer ${url}${HEARTBEAT_PATH} within ${startTimeoutMs} ms.`);
  })();
  return { child, port, ready, output, closeLog: () => log?.end() };
}

async function startChroma(dataDir: string, options: EnsureChromaOptions, logger: LauncherLogger, startTimeoutMs: number): Promise<EmbeddedChroma> {
  const mode = options.glibcLoader ?? 'auto';
  const getLoader = async () => {
    try {
      return await prepareGlibcLoader({ cacheDir: options.glibcCacheDir, logger });
    } catch (error) {
      throw chromaUnavailable(
        `The chromadb bindings need glibc 2.39 or newer and preparing the Debian 13 glibc loader failed (${(error as Error).message}).`,
        error,
      );
    }
  };
  const hostGlibc = options.glibcVersion ?? runtimeGlibcVersion();
  let loader = mode === 'always' || (mode === 'auto' && needsNewerGlibc(hostGlibc)) ? await getLoader() : undefined;
  const fixedPort = options.port !== undefined && options.port !== 0;
  let attempt: Launch | undefined;
  for (let tries = 0; ; tries += 1) {
    const port = fixedPort ? (options.port as number) : await findFreePort();
    // a heartbeat from another server on a taken port must not pass for ours
    if (fixedPort && !(await isPortFree(port))) throw chromaUnavailable(`Port ${port} for the embedded Chroma is already in use.`);
    attempt = launch(dataDir, port, loader, options, startTimeoutMs);
    logger.info(`starting embedded Chroma on ${HOST}:${port} (data in ${join(dataDir, 'chroma')}${loader === undefined ? '' : `, glibc ${loader.glibcVersion} loader`})`);
    try {
      await attempt.ready;
      break;
    } catch (error) {
      killSync(attempt.child.pid);
      attempt.closeLog();
      const text = attempt.output.join('\n');
      if (loader === undefined && mode === 'auto' && isGlibcLoadError(text)) {
        logger.warn('the chromadb bindings failed to load with this glibc; retrying under the Debian 13 loader');
        loader = await getLoader();
        continue;
      }
      if (isGlibcLoadError(text)) {
        const line = attempt.output.find((candidate) => isGlibcLoadError(candidate)) ?? '';
        throw chromaUnavailable(
          `The chromadb bindings cannot load with glibc ${hostGlibc ?? '?'} (they need ${REQUIRED_GLIBC_VERSION}${loader === undefined ? '' : `; the ${loader.glibcVersion} loader did not help`}): ${line.trim()}.`,
          error,
        );
      }
      if (/address already in use|AddrInUse/i.test(text)) {
        if (fixedPort) throw chromaUnavailable(`Port ${port} is already in use.`, error);
        if (tries < 3) continue;
      }
      const tail = attempt.output.slice(-8).join('\n');
      throw chromaUnavailable(`The embedded Chroma server did not start: ${(error as Error).message}${tail === '' ? '' : `\n${tail}`}\n`, error);
    }
  }
  const { child, port } = attempt;
  const pid = child.pid as number;
  const record: ChromaRecord = { pid, port, host: HOST, path: join(dataDir, 'chroma'), startedAt: new Date().toISOString() };
  const recordPath = join(dataDir, RECORD_FILE);
  await writeFile(recordPath, `${JSON.stringify(record, null, 2)}\n`);
  logger.info(`embedded Chroma ready at http://${HOST}:${port} (pid ${pid})`);

  const removeRecordSync = () => {
    try {
      const current = ChromaRecordSchema.safeParse(JSON.parse(readFileSync(recordPath, 'utf8')));
      if (current.success && current.data.pid === pid) rmSync(recordPath, { force: true });
    } catch {
      // already gone
    }
  };
  const onExit = () => {
    killSync(pid);
    removeRecordSync();
  };
  const signals: NodeJS.Signals[] = ['SIGINT', 'SIGTERM', 'SIGHUP'];
  const onSignal = (signal: NodeJS.Signals) => {
    onExit();
    detach();
    // we were the only listener: restore the default action (terminate)
    if (process.listenerCount(signal) === 0) process.kill(process.pid, signal);
  };
  const detach = () => {
    process.removeListener('exit', onExit);
    for (const signal of signals) process.removeListener(signal, onSignal);
  };
  process.on('exit', onExit);
  if (options.handleSignals ?? true) for (const signal of signals) process.on(signal, onSignal);

  let stopping: Promise<void> | undefined;
  const stop = () => {
    stopping ??= (async () => {
      detach();
      // The CLI runs the server synchronously on Node's main thread: SIGTERM/SIGINT are never
      // handled and leave it spinning at 100% CPU (DESIGN.md). SQLite survives a kill, so SIGKILL.
      killSync(pid);
      const gone = await waitForExit(pid, child, 10_000);
      attempt.closeLog();
      removeRecordSync();
      if (!gone) throw new Error(`Chroma (pid ${pid}) is still running after SIGKILL.`);
      logger.info(`embedded Chroma stopped (pid ${pid})`);
    })();
    return stopping;
  };
  return { url: `http://${HOST}:${port}`, host: HOST, port, owned: true, pid, stop };
}

function killSync(pid: number | undefined): void {
  if (pid === undefined) return;
  try {
    process.kill(pid, 'SIGKILL');
  } catch {
    // already gone
  }
}
