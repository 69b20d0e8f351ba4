import { realpathSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { createServer } from 'node:http';
import { getRequestListener } from '@hono/node-server';
import type { ServerType } from '@hono/node-server';
import { pino } from 'pino';
import type { Logger } from 'pino';
import { ConfigError, answerMalformedRequests, malformedRequestResponse } from '@review-assistant/shared';
import { createApp } from './app.js';
import type { Backends } from './backends.js';
import { loadWorkerConfig } from './config.js';
import type { WorkerConfig } from './config.js';
import { HealthReporter } from './routes/health.js';
import { attachNetworking, createTrafficRecorder } from './runtime/attach-networking.js';
import type { AttachNetworkingOptions, Networking } from './runtime/attach-networking.js';
import { loadNetworkingConfig } from './runtime/networking-config.js';
import type { NgrokModule } from './tunnel/ngrok-tunnel.js';
import { createWorkerServices } from './worker-services.js';
import type { EmbeddedChroma } from './runtime/embedded-chroma.js';

/** Thrown when the worker must not start; the message says what to do. */
export class WorkerStartError extends Error {
  override readonly name = 'WorkerStartError';
}

export interface StartWorkerOptions {
  /** Values that win over the environment (tests). */
  overrides?: Partial<WorkerConfig>;
  env?: Record<string, string | undefined>;
  logger?: Logger;
  /** Start the tunnel, heartbeats and inspector. @default true */
  networking?: boolean;
  /** Wait for model pulls/preloads before resolving (tests). @default false */
  awaitWarmUp?: boolean;
  /** Replaces `@ngrok/ngrok` (tests inject a fake listener). */
  loadNgrok?: () => Promise<NgrokModule>;
  /** Replaces the interface list and TCP probe of the Ollama exposure check (tests). */
  ollamaExposure?: AttachNetworkingOptions['ollamaExposure'];
}

export interface RunningWorker {
  /** e.g. `http://127.0.0.1:8787` */
  url: string;
  port: number;
  config: WorkerConfig;
  backends: Backends;
  chroma: EmbeddedChroma;
  health: HealthReporter;
  networking: Networking | null;
  /** Resolves when the start-up pull/preload finished. */
  warmedUp: Promise<void>;
  /** Stops accepting requests, says goodbye to the gateway, stops an owned Chroma. */
  stop(): Promise<void>;
}

const REFUSE_WITHOUT_SECRET =
  'WORKER_SHARED_SECRET is not set: the worker refuses to start, because every request to it must be signed with that secret. ' +
  'Set the same value for the worker and the gateway, e.g. WORKER_SHARED_SECRET=$(openssl rand -hex 32), or use `npm start`, which generates one for the run.';

/**
 * Reads config, builds the services (`createWorkerServices`: backend, Chroma, retrieval, chat,
 * health) and serves the signed Hono app on WORKER_HOST:WORKER_PORT (127.0.0.1 by default), then
 * attaches networking (tunnel, heartbeats, inspector). Models are pulled/preloaded in the
 * background (`warming-up` in health).
 */
export async function startWorker(options: StartWorkerOptions = {}): Promise<RunningWorker> {
  const env = options.env ?? process.env;
  const config = loadWorkerConfig({ env, ...(options.overrides ? { overrides: options.overrides } : {}) });
  const logger = options.logger ?? pino({ level: config.logLevel, base: { service: 'worker' } });
  const secret = config.workerSharedSecret;
  if (!secret) throw new WorkerStartError(REFUSE_WITHOUT_SECRET);

  // everything that can fail on configuration or disk comes before Chroma is started
  // the entries both configs read come from the worker's (so overrides reach the exposure check too)
  const networkingConfig = loadNetworkingConfig({
    env,
    overrides: {
      ollamaHost: config.ollamaHost,
      allowPublicOllama: config.allowPublicOllama,
      workerSharedSecret: config.workerSharedSecret,
      dataDir: config.dataDir,
    },
  });
  const services = await createWorkerServices(config, logger);
  const { workerId, backends, chroma, retriever, gate, chatService, health } = services;

  const recorder = options.networking === false ? undefined : createTrafficRecorder(networkingConfig);
  const app = createApp({
    secret,
    logger,
    chatService,
    gate,
    retriever,
    embeddingModel: backends.embeddingModel,
    chatModel: backends.chatModel,
    backend: backends.kind,
    health,
    maxBodyBytes: config.maxBodyBytes,
    ...(recorder ? { beforeSignature: [recorder.middleware()] } : {}),
  });

  let server: ServerType;
  try {
    // Hono's Node adapter, with the error shape also for requests too broken to reach the app
    const started = createServer(getRequestListener(app.fetch, { hostname: config.workerHost, errorHandler: malformedRequestResponse }));
    answerMalformedRequests(started);
    server = await new Promise<ServerType>((resolveServer, reject) => {
      started.once('error', reject);
      started.listen(config.workerPort, config.workerHost, () => resolveServer(started));
    });
  } catch (error) {
    await services.stop();
    const code = (error as { code?: unknown }).code;
    if (code === 'EADDRINUSE') {
      throw new WorkerStartError(`port ${config.workerPort} on ${config.workerHost} is already in use; set WORKER_PORT to a free port (e.g. WORKER_PORT=8788)`);
    }
    throw error;
  }
  const address = server.address();
  const port = typeof address === 'object' && address ? address.port : config.workerPort;
  const url = `http://${config.workerHost.includes(':') ? `[${config.workerHost}]` : config.workerHost}:${port}`;
  logger.info(`worker listening on ${url} (every route requires a signed request)`);

  void health.report().then((report) => {
    if (report.chroma.detail) logger.warn(`Chroma: ${report.chroma.detail}`);
  });
  const warmedUp = backends.warmUp().then(() => {
    for (const model of backends.models()) logger.info({ model: model.name, state: model.state }, `model ${model.name}: ${model.state}${model.detail ? ` (${model.detail})` : ''}`);
  });

  let networking: Networking | null = null;
  if (options.networking !== false) {
    try {
      networking = await attachNetworking({
        config: networkingConfig,
        localUrl: url,
        logger: { info: (message) => logger.info(message), warn: (message) => logger.warn(message), error: (message) => logger.error(message) },
        healthProvider: () => health.report(),
        recorder,
        workerId,
        skipOllamaCheck: config.modelBackend === 'offline',
        loadNgrok: options.loadNgrok,
        ollamaExposure: options.ollamaExposure,
      });
    } catch (error) {
      await closeServer(server);
      await services.stop();
      throw error;
    }
  }
  if (options.awaitWarmUp) await warmedUp;

  let stopped: Promise<void> | undefined;
  return {
    url,
    port,
    config,
    backends,
    chroma,
    health,
    networking,
    warmedUp,
    stop: () => {
      stopped ??= (async () => {
        services.markStopping();
        await networking?.stop();
        await closeServer(server);
        await services.stop();
      })();
      return stopped;
    },
  };
}

function closeServer(server: ServerType): Promise<void> {
  return new Promise((resolveClose) => {
    // Streams in flight get a few seconds to finish; then connections are cut.
    const timer = setTimeout(() => {
      if ('closeAllConnections' in server) server.closeAllConnections();
    }, 5000);
    timer.unref();
    server.close(() => {
      clearTimeout(timer);
      resolveClose();
    });
    if ('closeIdleConnections' in server) server.closeIdleConnections();
  });
}

async function main(): Promise<void> {
  let worker: RunningWorker;
  try {
    worker = await startWorker();
  } catch (error) {
    if (error instanceof WorkerStartError || error instanceof ConfigError) {
      console.error(`worker: ${error.message}`);
    } else {
      console.error('worker: failed to start:', error instanceof Error ? error.message : error);
    }
    process.exit(1);
  }
  const shutdown = (signal: string) => {
    console.error(`worker: ${signal} received, stopping`);
    const force = setTimeout(() => process.exit(1), 10_000);
    force.unref();
    void worker.stop().then(() => process.exit(0));
  };
  process.once('SIGINT', () => shutdown('SIGINT'));
  process.once('SIGTERM', () => shutdown('SIGTERM'));
}

function isEntryPoint(): boolean {
  const entry = process.argv[1];
  if (!entry) return false;
  try {
    return realpathSync(entry) === realpathSync(fileURLToPath(import.meta.url));
  } catch {
    return false;
  }
}

if (isEntryPoint()) void main();
