import { randomBytes } from 'node:crypto';
import { existsSync } from 'node:fs';
import { basename, join, resolve } from 'node:path';
import pc from 'picocolors';
import { DEFAULT_COLLECTION, environment, loadConfig, signRequest } from '@review-assistant/shared';
import { ensureChroma, type EmbeddedChroma } from '@review-assistant/local-worker';
import { createPrefixedPrinter } from './log-lines.js';
import { assertPortsFree } from './port-check.js';
import { inspectReviewsWithChroma, workerEmbeddingModelIdFor, type ReviewsCollectionState } from './reviews-collection.js';
import { startService, waitUntilReady, type ServiceProcess } from './service-process.js';

/** How long a running but unready gateway is waited for before its /readyz answer is shown. */
const UNREADY_EXPLAIN_AFTER_MS = 15_000;

/** The environment entries `npm start` itself reads. */
const startConfigSpec = {
  port: environment.port,
  workerPort: environment.workerPort,
  host: environment.host,
  dataDir: environment.dataDir,
  chromaUrl: environment.chromaUrl,
  workerSharedSecret: environment.workerSharedSecret,
} as const;

/** Options of {@link startSystem}. */
export interface StartSystemOptions {
  /** Repository root: holds node_modules, the services and `data/sample`. */
  repoRoot: string;
  /** @default process.env */
  env?: NodeJS.ProcessEnv | undefined;
  /** @default `<repoRoot>/local-worker/src/server.ts` */
  workerEntry?: string | undefined;
  /** @default `<repoRoot>/cloud-gateway/src/server.ts` */
  gatewayEntry?: string | undefined;
  /**
   * CSV ingested when the reviews collection is empty, or re-ingested (`--reset`) when it holds only
   * this sample built with another embedding model than the worker's; null skips it.
   * @default `<repoRoot>/data/sample/reviews.csv`
   */
  sampleCsv?: string | null | undefined;
  /** Reads the reviews collection (tests substitute it). @default Chroma at the given URL */
  inspectReviews?: ((chromaUrl: string, sampleSource: string) => Promise<ReviewsCollectionState>) | undefined;
  /** @default `<repoRoot>/scripts/src/ingest.ts` */
  ingestEntry?: string | undefined;
  /** @default 120_000 */
  readyTimeoutMs?: number | undefined;
  /** @default writes to stdout */
  write?: ((text: string) => void) | undefined;
  /** Aborting stops whatever has started and rejects. */
  signal?: AbortSignal | undefined;
}

/** The running system. */
export interface RunningSystem {
  /** What the user opens: `http://localhost:<PORT>`. */
  uiUrl: string;
  gatewayUrl: string;
  workerUrl: string;
  chroma: EmbeddedChroma;
  services: ServiceProcess[];
  /** Resolves with the service that exited while the system was meant to run. */
  unexpectedExit: Promise<ServiceProcess>;
  /** Stops the gateway, then the worker (SIGTERM, SIGKILL after a grace period), then Chroma (SIGKILL). */
  stop(): Promise<void>;
  /** Immediate SIGKILL of everything (a second Ctrl-C). */
  kill(): void;
}

function loopback(host: string): string {
  return host === '0.0.0.0' || host === '::' || host === '' ? '127.0.0.1' : host;
}

/**
 * Starts the whole system on one machine: Chroma (embedded unless CHROMA_URL), the sample reviews
 * when the collection is empty (again, with --reset, when only the sample is there but built with
 * another embedding model than the worker's), the worker, then the gateway; waits until each answers.
 * Every child ends with this process: on stop(), and through watchdogs if this process is killed.
 */
export async function startSystem(options: StartSystemOptions): Promise<RunningSystem> {
  const env = options.env ?? process.env;
  const write = options.write ?? ((text: string) => process.stdout.write(text));
  const say = createPrefixedPrinter('start', 'blue', write);
  const config = loadConfig(startConfigSpec, { env });
  const repoRoot = resolve(options.repoRoot);
  const dataDir = resolve(repoRoot, config.dataDir);
  const readyTimeoutMs = options.readyTimeoutMs ?? 120_000;
  const signal = options.signal;
  const probeHost = loopback(config.host);

  await assertPortsFree([
    { port: config.port, host: config.host, envName: 'PORT', service: 'gateway' },
    { port: config.workerPort, host: '127.0.0.1', envName: 'WORKER_PORT', service: 'worker' },
  ]);

  // a secret for this run only when none is configured; it is never printed
  const secret = config.workerSharedSecret ?? randomBytes(32).toString('hex');
  if (config.workerSharedSecret === undefined) say('WORKER_SHARED_SECRET is not set: using a random secret for this run');

  const services: ServiceProcess[] = [];
  let chroma: EmbeddedChroma | undefined;
  let stopping: Promise<void> | undefined;
  const stop = () => {
    stopping ??= (async () => {
      for (const service of [...services].reverse()) {
        if (service.isRunning()) say(`stopping ${service.name} (pid ${service.pid})`);
        await service.stop();
      }
      if (chroma?.owned === true) say(`stopping chroma (pid ${chroma.pid})`);
      await chroma?.stop();
    })();
    return stopping;
  };
  const kill = () => {
    for (const service of services) service.child.kill('SIGKILL');
    if (chroma?.owned === true && chroma.pid !== undefined) {
      try {
        process.kill(chroma.pid, 'SIGKILL');
      } catch {
        // already gone
      }
    }
  };

  try {
    chroma = await ensureChroma({
      dataDir,
      chromaUrl: config.chromaUrl,
      handleSignals: false,
      onOutput: chromaPrinter(createPrefixedPrinter('chroma', 'yellow', write)),
      logger: { info: (message) => say(message), warn: (message) => say(pc.yellow(message)) },
    });
    signal?.throwIfAborted();

    const baseEnv: NodeJS.ProcessEnv = { ...env, DATA_DIR: dataDir, CHROMA_URL: chroma.url, WORKER_SHARED_SECRET: secret };
    if (options.sampleCsv !== null) {
      const sampleCsv = options.sampleCsv ?? join(repoRoot, 'data', 'sample', 'reviews.csv');
      const ingestEntry = options.ingestEntry ?? join(repoRoot, 'scripts', 'src', 'ingest.ts');
      await ingestSampleIfNeeded({ sampleCsv, ingestEntry, chromaUrl: chroma.url, repoRoot, env: baseEnv, write, say, inspectReviews: options.inspectReviews ?? inspectReviewsWithChroma, services });
    }
    signal?.throwIfAborted();

    const workerUrl = `http://127.0.0.1:${config.workerPort}`;
    const gatewayUrl = `http://${probeHost.includes(':') ? `[${probeHost}]` : probeHost}:${config.port}`;
    const worker = startService(
      {
        name: 'worker',
        color: 'magenta',
        entry: options.workerEntry ?? join(repoRoot, 'local-worker', 'src', 'server.ts'),
        env: { ...baseEnv, WORKER_PORT: String(config.workerPort), GATEWAY_URL: gatewayUrl },
        cwd: repoRoot,
      },
      write,
    );
    services.push(worker);
    await waitUntilReady(worker, () => signedHealth(workerUrl, secret), {
      timeoutMs: readyTimeoutMs,
      what: 'GET /v1/health (signed)',
      signal,
      intervalMs: 500,
    });
    say(`worker ready at ${workerUrl}`);

    const gateway = startService(
      {
        name: 'gateway',
        color: 'cyan',
        entry: options.gatewayEntry ?? join(repoRoot, 'cloud-gateway', 'src', 'server.ts'),
        // One machine: the worker announces its loopback URL in heartbeats, which the gateway refuses by default.
        env: { ...baseEnv, PORT: String(config.port), WORKER_URLS: workerUrl, ALLOW_PRIVATE_WORKER_URLS: 'true' },
        cwd: repoRoot,
      },
      write,
    );
    services.push(gateway);
    await waitForGateway(gateway, gatewayUrl, { timeoutMs: readyTimeoutMs, signal, say });

    const uiUrl = `http://localhost:${config.port}`;
    say(`gateway ${gatewayUrl} · worker ${workerUrl} (signed API) · chroma ${chroma.url}${chroma.owned ? ' (embedded)' : ''} · data in ${dataDir}`);
    say(pc.bold(pc.green(`ready: open ${uiUrl}  (Ctrl-C stops everything)`)));
    const unexpectedExit = new Promise<ServiceProcess>((resolveExit) => {
      for (const service of services) {
        void service.exited.then(() => {
          if (stopping === undefined) resolveExit(service);
        });
      }
    });
    return { uiUrl, gatewayUrl, workerUrl, chroma, services, unexpectedExit, stop, kill };
  } catch (error) {
    await stop();
    throw error;
  }
}

/** Leaves out Chroma's ASCII-art logo and the source locations under its log lines. */
export function chromaPrinter(print: (line: string) => void): (line: string) => void {
  return (line) => {
    if (/^[\s(#]+$/.test(line) || /^\s+at rust\//.test(line)) return;
    print(line);
  };
}

async function ingestSampleIfNeeded(context: {
  sampleCsv: string;
  ingestEntry: string;
  chromaUrl: string;
  repoRoot: string;
  env: NodeJS.ProcessEnv;
  write: (text: string) => void;
  say: (line: string) => void;
  inspectReviews: (chromaUrl: string, sampleSource: string) => Promise<ReviewsCollectionState>;
  services: ServiceProcess[];
}): Promise<void> {
  const { sampleCsv, ingestEntry, say } = context;
  if (!existsSync(sampleCsv)) {
    say(pc.yellow(`no sample reviews at ${sampleCsv}: skipping the first-start ingestion`));
    return;
  }
  const state = await context.inspectReviews(context.chromaUrl, basename(sampleCsv));
  const args = [sampleCsv];
  let announcement = `first start: ingesting the sample reviews (${sampleCsv})`;
  if (state.count > 0) {
    // the worker refuses a collection built with another embedding model (vectors are never mixed)
    const workerModel = state.embeddingModel === null ? null : await workerEmbeddingModelIdFor(context.env);
    if (workerModel === null || workerModel === state.embeddingModel) {
      say(`collection "${DEFAULT_COLLECTION}" holds ${state.count} records: no ingestion needed`);
      return;
    }
    const why = `collection "${DEFAULT_COLLECTION}" was built with embedding model "${state.embeddingModel}" but the worker uses "${workerModel}"`;
    if (state.otherSource !== null) {
      say(pc.yellow(`${why}, so review questions are refused until you re-ingest your reviews (e.g. ${state.otherSource}; left untouched here): npm run ingest -- <file.csv> --reset`));
      return;
    }
    announcement = `${why}: re-ingesting the sample reviews with --reset (it holds only the sample)`;
    args.push('--reset');
  }
  if (!existsSync(ingestEntry)) {
    say(pc.yellow(`the ingestion CLI ${ingestEntry} is missing: skipping the sample ingestion`));
    return;
  }
  say(announcement);
  const ingest = startService(
    { name: 'ingest', color: 'green', entry: ingestEntry, args, env: context.env, cwd: context.repoRoot },
    context.write,
  );
  context.services.push(ingest);
  const exit = await ingest.exited;
  context.services.splice(context.services.indexOf(ingest), 1);
  if (exit.code !== 0) {
    say(pc.yellow(`ingesting the sample reviews failed (${exit.code ?? exit.signal}); the chat has no reviews until you run: npm run ingest -- ${args.join(' ')}`));
  }
}

/** GET /v1/health signed with the shared secret; true on 200. */
async function signedHealth(workerUrl: string, secret: string): Promise<boolean> {
  const headers = signRequest({ secret, method: 'GET', path: '/v1/health' });
  const response = await fetch(`${workerUrl}/v1/health`, { headers, signal: AbortSignal.timeout(2_000) });
  await response.body?.cancel();
  return response.ok;
}

/**
 * Waits for the gateway's GET /readyz. When the gateway is up (/healthz) but stays unready, says
 * why (the /readyz body) once, and names it again if the wait times out.
 */
async function waitForGateway(
  gateway: ServiceProcess,
  gatewayUrl: string,
  options: { timeoutMs: number; signal: AbortSignal | undefined; say: (line: string) => void },
): Promise<void> {
  let lastBody = '';
  let firstUnready: number | undefined;
  let explained = false;
  const probe = async () => {
    const response = await fetch(`${gatewayUrl}/readyz`, { signal: AbortSignal.timeout(2_000) });
    lastBody = await response.text();
    if (response.ok) return true;
    firstUnready ??= Date.now();
    if (!explained && Date.now() - firstUnready > UNREADY_EXPLAIN_AFTER_MS) {
      explained = true;
      options.say(pc.yellow(`the gateway is up but not ready yet: ${lastBody}`));
    }
    return false;
  };
  try {
    await waitUntilReady(gateway, probe, { timeoutMs: options.timeoutMs, what: 'GET /readyz', signal: options.signal, intervalMs: 500 });
  } catch (error) {
    if (lastBody === '' || !gateway.isRunning()) throw error;
    throw new Error(`${(error as Error).message} Its last answer: ${lastBody}`, { cause: error });
  }
}
