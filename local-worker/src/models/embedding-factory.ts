import type { BackendKind } from '@review-assistant/shared';
import type { EmbeddingModel } from '../ports.js';
import { OFFLINE_EMBEDDING_MODEL_ID, OfflineEmbeddingModel } from './offline-embeddings.js';
import { OllamaEmbeddingModel } from './ollama-embedding-model.js';

export interface EmbeddingModelConfig {
  /** Which backend embeds: the worker's chosen backend (see `backends.ts`). */
  backend: BackendKind;
  /** Ollama embedding model (`EMBED_MODEL`). @default 'mxbai-embed-large' */
  embedModel?: string;
  /** Ollama base URL (`OLLAMA_HOST`). @default 'http://127.0.0.1:11434' */
  ollamaHost?: string;
  /** Ollama `keep_alive`. @default '30m' */
  keepAlive?: string;
  /** Longest silence from Ollama before a request is abandoned. */
  idleTimeoutMs?: number;
}

/**
 * The one place that builds the embedding model for a backend, used by the worker and by the
 * ingest/retrieve CLIs, so that documents and queries are always embedded by the same model.
 */
export function createEmbeddingModel(config: EmbeddingModelConfig): EmbeddingModel {
  switch (config.backend) {
    case 'ollama':
      return new OllamaEmbeddingModel({
        baseURL: config.ollamaHost ?? 'http://127.0.0.1:11434',
        model: embeddingModelId(config),
        ...(config.keepAlive === undefined ? {} : { keepAlive: config.keepAlive }),
        ...(config.idleTimeoutMs === undefined ? {} : { idleTimeoutMs: config.idleTimeoutMs }),
      });
    case 'offline':
      return new OfflineEmbeddingModel();
  }
}

/**
 * The id of the model `createEmbeddingModel(config)` builds, without building it (the offline
 * model reads its word vectors on construction): what a collection's recorded model is compared with.
 */
export function embeddingModelId(config: EmbeddingModelConfig): string {
  switch (config.backend) {
    case 'ollama':
      return config.embedModel ?? 'mxbai-embed-large';
    case 'offline':
      return OFFLINE_EMBEDDING_MODEL_ID;
  }
}
