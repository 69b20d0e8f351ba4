import { randomBytes } from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { signRequest } from '@review-assistant/shared';
import { ingestCsv, type IngestSummary, OfflineEmbeddingModel } from '@review-assistant/local-worker';
import { startTestChroma } from '@review-assistant/local-worker/testing';
import { repoRoot, startCompiledService, type CompiledService } from './compiled-service.js';

/** The project's own sample reviews (written for it; 270 rows). */
export const SAMPLE_REVIEWS = join(repoRoot, 'data/sample/reviews.csv');

/** A random secret for one test file: 64 hex characters that must never show up anywhere. */
export function canarySecret(label: string): string {
  return `canary-${label}-${randomBytes(24).toString('hex')}`;
}

export type TestChroma = Awaited<ReturnType<typeof startTestChroma>>;

/** A real embedded Chroma (the project's launcher) in a temporary DATA_DIR. */
export async function startChroma(): Promise<TestChroma> {
  return startTestChroma();
}

/** Ingests a CSV into Chroma with the worker's offline embedding model (what MODEL_BACKEND=offline queries with). */
export async function ingestOffline(chromaUrl: string, file: string, options: { collection?: string; reset?: boolean } = {}): Promise<IngestSummary> {
  const { ChromaVectorStore } = await import('@review-assistant/local-worker');
  return ingestCsv({
    file,
    store: new ChromaVectorStore({ url: chromaUrl }),
    embedder: new OfflineEmbeddingModel(),
    progress: 'none',
    ...options,
  });
}

/** A temporary folder removed by `cleanup()`. */
export async function tempDir(prefix: string): Promise<{ path: string; cleanup(): Promise<void> }> {
  const path = await mkdtemp(join(tmpdir(), `faults-${prefix}-`));
  return { path, cleanup: () => rm(path, { recursive: true, force: true }) };
}

export interface WorkerProcessOptions {
  secret: string;
  chromaUrl: string;
  dataDir: string;
  /** @default 0 (any free port) */
  port?: number;
  env?: Record<string, string>;
}

/** The compiled worker (`node local-worker/dist/server.js`), offline backend unless `env` says otherwise, no inspector. */
export function startWorkerProcess(options: WorkerProcessOptions): Promise<CompiledService> {
  return startCompiledService('worker', {
    WORKER_SHARED_SECRET: options.secret,
    CHROMA_URL: options.chromaUrl,
    DATA_DIR: options.dataDir,
    WORKER_PORT: String(options.port ?? 0),
    MODEL_BACKEND: 'offline',
    INSPECTOR_ENABLED: 'false',
    WORKER_ID: 'faults-worker',
    ...options.env,
  });
}

export interface GatewayProcessOptions {
  secret: string;
  dataDir: string;
  workerUrls?: string[];
  /** @default 0 (any free port) */
  port?: number;
  env?: Record<string, string>;
}

/** The compiled gateway (`node cloud-gateway/dist/server.js`) with its real intent model and local log store. */
export function startGatewayProcess(options: GatewayProcessOptions): Promise<CompiledService> {
  return startCompiledService('gateway', {
    WORKER_SHARED_SECRET: options.secret,
    DATA_DIR: options.dataDir,
    PORT: String(options.port ?? 0),
    WORKER_URLS: (options.workerUrls ?? []).join(','),
    ALLOW_PRIVATE_WORKER_URLS: 'true',
    ...options.env,
  });
}

/** `fetch` with the worker signature headers for exactly this method, path and body. */
export function signedFetch(secret: string, baseUrl: string, method: string, path: string, body?: string): Promise<Response> {
  return fetch(`${baseUrl}${path}`, {
    method,
    ...(body === undefined ? {} : { body }),
    headers: { 'content-type': 'application/json', ...signRequest({ secret, method, path, body }) },
  });
}

/** Polls the worker's signed health route until it answers 200. */
export async function waitForWorker(secret: string, workerUrl: string, timeoutMs = 30_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    try {
      if ((await signedFetch(secret, workerUrl, 'GET', '/v1/health')).status === 200) return;
    } catch {
      // not listening yet
    }
    if (Date.now() > deadline) throw new Error(`worker at ${workerUrl} not healthy within ${timeoutMs} ms`);
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}

/** Worker environment for the Ollama backend against a double (no pulls, short probe). */
export function ollamaWorkerEnv(ollamaUrl: string, extra: Record<string, string> = {}): Record<string, string> {
  return { MODEL_BACKEND: 'ollama', OLLAMA_HOST: ollamaUrl, OLLAMA_PULL_MISSING: 'false', OLLAMA_PROBE_TIMEOUT_MS: '1000', ...extra };
}

/** Ingests a CSV with the worker's Ollama embedding model (against a double), as `npm run ingest` would with Ollama up. */
export async function ingestWithOllama(chromaUrl: string, ollamaUrl: string, file: string, options: { collection?: string; reset?: boolean } = {}): Promise<IngestSummary> {
  const { createBackends } = await import('@review-assistant/local-worker');
  const { ChromaVectorStore } = await import('@review-assistant/local-worker');
  const backends = await createBackends(
    { modelBackend: 'ollama', ollamaHost: ollamaUrl, chatModel: 'llama3.2', embedModel: 'mxbai-embed-large', ollamaProbeTimeoutMs: 1000, ollamaIdleTimeoutMs: 10_000, ollamaKeepAlive: '5m', ollamaPullMissing: false },
    { log: () => undefined },
  );
  return ingestCsv({ file, store: new ChromaVectorStore({ url: chromaUrl }), embedder: backends.embeddingModel, progress: 'none', ...options });
}
