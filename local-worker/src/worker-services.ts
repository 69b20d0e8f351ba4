import { resolve } from 'node:path';
import type { Logger } from 'pino';
import { createBackends } from './backends.js';
import type { Backends } from './backends.js';
import { ChatService } from './chat/chat-service.js';
import { ConcurrencyGate } from './chat/concurrency-gate.js';
import type { WorkerConfig } from './config.js';
import { resolveWorkerId } from './heartbeat/worker-id.js';
import { HybridRetriever } from './retrieval/hybrid-retriever.js';
import { HealthReporter } from './routes/health.js';
import { ensureChroma } from './runtime/embedded-chroma.js';
import type { EmbeddedChroma } from './runtime/embedded-chroma.js';
import { ChromaVectorStore } from './vector-store/chroma-vector-store.js';

/** Everything the worker's routes run on, built once from config (see `createWorkerServices`). */
export interface WorkerServices {
  workerId: string;
  backends: Backends;
  /** Embedded for DATA_DIR, or the server at CHROMA_URL. */
  chroma: EmbeddedChroma;
  store: ChromaVectorStore;
  retriever: HybridRetriever;
  /** Chat turns at once (CHAT_CONCURRENCY) and waiting (CHAT_QUEUE). */
  gate: ConcurrencyGate;
  chatService: ChatService;
  health: HealthReporter;
  /** From now on health reports `stopping`. */
  markStopping(): void;
  /** Stops what the services own (an embedded Chroma started for them). */
  stop(): Promise<void>;
}

/**
 * The worker's one services factory: worker id, the model backend chosen by `createBackends`
 * (logged with its reason), Chroma (embedded for DATA_DIR, or CHROMA_URL), hybrid retrieval, the
 * chat service behind a concurrency gate, and the health reporter. No HTTP here: `startWorker`
 * serves an app built from these, and tests can build the same set without a server.
 */
export async function createWorkerServices(config: WorkerConfig, logger: Logger): Promise<WorkerServices> {
  const dataDir = resolve(config.dataDir);
  const workerId = await resolveWorkerId({ dataDir, configured: config.workerId });
  const backends = await createBackends(config);
  logger.info({ backend: backends.kind, reason: backends.reason }, `model backend: ${backends.kind} (${backends.reason})`);
  if (backends.kind === 'offline') {
    logger.info('offline backend: answers quote the reviews and summarise ratings; they are made without a language model');
  }

  const chroma = await ensureChroma({
    dataDir,
    chromaUrl: config.chromaUrl,
    handleSignals: false,
    logger: { info: (message: string) => logger.info(message), warn: (message: string) => logger.warn(message) },
  });
  logger.info({ chroma: chroma.url, owned: chroma.owned }, `Chroma at ${chroma.url}${chroma.owned ? ' (started for this worker)' : ''}`);
  const store = new ChromaVectorStore({ url: chroma.url });
  const retriever = new HybridRetriever({ store, embedder: backends.embeddingModel });
  const gate = new ConcurrencyGate(config.workerConcurrency, config.workerMaxQueue);
  const chatService = new ChatService({
    retriever,
    chatModel: backends.chatModel,
    queryRewriter: backends.queryRewriter,
    backend: backends.kind,
  });
  let stopping = false;
  const health = new HealthReporter({
    workerId,
    backend: backends,
    store,
    chromaUrl: chroma.url,
    gate,
    stopping: () => stopping,
    embeddingModelId: backends.embeddingModel.modelId,
  });
  return {
    workerId,
    backends,
    chroma,
    store,
    retriever,
    gate,
    chatService,
    health,
    markStopping: () => {
      stopping = true;
    },
    stop: () => chroma.stop(),
  };
}
