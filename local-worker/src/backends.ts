import type { BackendKind, ModelStatus } from '@review-assistant/shared';
import type { ChatModel, EmbeddingModel } from './ports.js';
import type { WorkerConfig } from './config.js';
import { HeuristicQueryRewriter, LlmQueryRewriter } from './chat/query-rewriter.js';
import type { QueryRewriter } from './chat/query-rewriter.js';
import { createEmbeddingModel, embeddingModelId, type EmbeddingModelConfig } from './models/embedding-factory.js';
import { OllamaModelManager, probeOllama } from './models/model-manager.js';
import type { PullProgress } from './models/model-manager.js';
import { OFFLINE_CHAT_MODEL_ID, OfflineChatModel } from './models/offline-chat.js';
import { OFFLINE_EMBEDDING_MODEL_ID } from './models/offline-embeddings.js';
import { OllamaChatModel } from './models/ollama-chat-model.js';

/** What health and heartbeats need to know about the models. */
export interface BackendStatus {
  readonly kind: BackendKind;
  /** Why this backend was chosen, e.g. `MODEL_BACKEND=auto and Ollama answered /api/tags at … in 12 ms`. */
  readonly reason: string;
  models(): ModelStatus[];
  /** True while models are being pulled or loaded. */
  isWarmingUp(): boolean;
  /** Refreshes what is known about the models (which are in memory); never throws. */
  refresh(): Promise<void>;
}

/** The worker's model collaborators, chosen together in one place. */
export interface Backends extends BackendStatus {
  readonly chatModel: ChatModel;
  readonly embeddingModel: EmbeddingModel;
  readonly queryRewriter: QueryRewriter;
  /** Pulls missing models and preloads them (Ollama); resolves when done, never throws. */
  warmUp(): Promise<void>;
}

export type BackendsConfig = Pick<
  WorkerConfig,
  | 'modelBackend'
  | 'ollamaHost'
  | 'chatModel'
  | 'embedModel'
  | 'ollamaProbeTimeoutMs'
  | 'ollamaIdleTimeoutMs'
  | 'ollamaKeepAlive'
  | 'ollamaPullMissing'
>;

export interface BackendsDependencies {
  /** Pull progress (default: a bar on a TTY, plain lines otherwise). */
  onPullProgress?: (progress: PullProgress) => void;
  /** Plain progress lines. @default console.error */
  log?: (line: string) => void;
}

/** The backend the worker uses with a configuration, and why (for the start-up log and `/v1/health`). */
export interface BackendChoice {
  readonly kind: BackendKind;
  readonly reason: string;
}

/**
 * The ONE place that picks the model backend. `MODEL_BACKEND=offline`: in-process models.
 * `ollama`: Ollama even if it does not answer yet (requests fail with `model_unavailable` until it
 * does). `auto`: Ollama when `/api/tags` answers within OLLAMA_PROBE_TIMEOUT_MS, else offline.
 */
export async function chooseBackend(config: Pick<BackendsConfig, 'modelBackend' | 'ollamaHost' | 'ollamaProbeTimeoutMs'>): Promise<BackendChoice> {
  if (config.modelBackend === 'offline') return { kind: 'offline', reason: 'MODEL_BACKEND=offline' };
  const started = performance.now();
  const probe = await probeOllama({ baseURL: config.ollamaHost }, config.ollamaProbeTimeoutMs);
  const elapsed = Math.round(performance.now() - started);
  if (config.modelBackend === 'auto' && !probe.reachable) {
    return { kind: 'offline', reason: `MODEL_BACKEND=auto and Ollama is unreachable at ${config.ollamaHost} (${probe.reason})` };
  }
  const reason = probe.reachable
    ? `MODEL_BACKEND=${config.modelBackend} and Ollama answered /api/tags at ${config.ollamaHost} in ${elapsed} ms`
    : `MODEL_BACKEND=ollama, but Ollama does not answer at ${config.ollamaHost} yet (${probe.reason})`;
  return { kind: 'ollama', reason };
}

/**
 * The id of the embedding model the worker will use with this configuration, chosen as
 * `createBackends` chooses but without building the backend (`npm start` compares it with the
 * model a collection was built with).
 */
export async function workerEmbeddingModelId(config: BackendsConfig): Promise<string> {
  return embeddingModelId(embeddingModelConfig((await chooseBackend(config)).kind, config));
}

/** Builds the models of the backend `chooseBackend` picks. */
export async function createBackends(config: BackendsConfig, dependencies: BackendsDependencies = {}): Promise<Backends> {
  const { kind, reason } = await chooseBackend(config);
  if (kind === 'offline') return offlineBackends(reason);
  const manager = new OllamaModelManager({
    baseURL: config.ollamaHost,
    keepAlive: config.ollamaKeepAlive,
    idleTimeoutMs: config.ollamaIdleTimeoutMs,
    models: [
      { name: config.chatModel, role: 'chat' },
      { name: config.embedModel, role: 'embed' },
    ],
    ...(dependencies.onPullProgress ? { onPullProgress: dependencies.onPullProgress } : {}),
    ...(dependencies.log ? { log: dependencies.log } : {}),
  });
  const chatModel = new OllamaChatModel({
    baseURL: config.ollamaHost,
    model: config.chatModel,
    keepAlive: config.ollamaKeepAlive,
    idleTimeoutMs: config.ollamaIdleTimeoutMs,
  });
  return {
    kind: 'ollama',
    reason,
    chatModel,
    embeddingModel: createEmbeddingModel(embeddingModelConfig('ollama', config)),
    queryRewriter: new LlmQueryRewriter(chatModel),
    models: () => manager.status(),
    isWarmingUp: () => manager.isWarmingUp(),
    refresh: () => manager.refreshLoaded(),
    warmUp: async () => {
      await manager.prepare({ pull: config.ollamaPullMissing });
    },
  };
}

function embeddingModelConfig(kind: BackendKind, config: BackendsConfig): EmbeddingModelConfig {
  if (kind === 'offline') return { backend: 'offline' };
  return {
    backend: 'ollama',
    ollamaHost: config.ollamaHost,
    embedModel: config.embedModel,
    keepAlive: config.ollamaKeepAlive,
    idleTimeoutMs: config.ollamaIdleTimeoutMs,
  };
}

function offlineBackends(reason: string): Backends {
  const models: ModelStatus[] = [
    { name: OFFLINE_CHAT_MODEL_ID, role: 'chat', state: 'builtin', detail: 'extractive answers: quotes and rating summaries, no language model' },
    { name: OFFLINE_EMBEDDING_MODEL_ID, role: 'embed', state: 'builtin', detail: 'in-process hashed n-grams + packed GloVe-derived word vectors' },
  ];
  return {
    kind: 'offline',
    reason,
    chatModel: new OfflineChatModel(),
    embeddingModel: createEmbeddingModel({ backend: 'offline' }),
    queryRewriter: new HeuristicQueryRewriter(),
    models: () => models.map((model) => ({ ...model })),
    isWarmingUp: () => false,
    refresh: async () => undefined,
    warmUp: async () => undefined,
  };
}
