import { z } from 'zod';
import type { EmbeddingModel } from '../ports.js';
import { OllamaRequestScope } from './ollama-request-scope.js';
import type { OllamaConnectionOptions } from './ollama-request-scope.js';

/**
 * Query instructions of embedding models trained with one. mxbai-embed-large-v1 was trained with
 * "Represent this sentence for searching relevant passages: " in front of retrieval queries and
 * nothing in front of documents (model card on Hugging Face `mixedbread-ai/mxbai-embed-large-v1`,
 * and the usage example on ollama.com/library/mxbai-embed-large). Ollama does not add it itself.
 */
export const QUERY_PREFIXES: Readonly<Record<string, string>> = {
  'mxbai-embed-large': 'Represent this sentence for searching relevant passages: ',
};

/** What the worker reads from `/api/embed` (parsed, never cast). */
const EmbedResponseSchema = z.object({ embeddings: z.array(z.array(z.number())) });

export interface OllamaEmbeddingModelOptions extends OllamaConnectionOptions {
  /** @default 'mxbai-embed-large' */
  model?: string;
  /** Text put in front of search queries; @default from `QUERY_PREFIXES` by model name, else none */
  queryPrefix?: string;
}

/**
 * Embeddings through the `ollama` client (`POST /api/embed`). Documents are sent as they
 * are (ingestion chunks them below the 512-token context; `truncate` guards the rare overflow),
 * queries get the model's query instruction. No client-side retries: the caller decides.
 */
export class OllamaEmbeddingModel implements EmbeddingModel {
  readonly provider = 'ollama';
  readonly modelId: string;
  readonly queryPrefix: string;

  constructor(private readonly options: OllamaEmbeddingModelOptions) {
    this.modelId = options.model ?? 'mxbai-embed-large';
    this.queryPrefix = options.queryPrefix ?? QUERY_PREFIXES[this.modelId.replace(/:latest$/, '')] ?? '';
  }

  async embedDocuments(texts: string[], signal?: AbortSignal): Promise<number[][]> {
    if (texts.length === 0) return [];
    const scope = new OllamaRequestScope(this.options, signal);
    try {
      const response = await scope.client().embed({ model: this.modelId, input: texts, truncate: true, keep_alive: this.options.keepAlive ?? '30m' });
      const vectors = EmbedResponseSchema.parse(response).embeddings;
      if (vectors.length !== texts.length || vectors.some((vector) => !Array.isArray(vector) || vector.length === 0)) {
        throw new Error(`expected ${texts.length} embeddings, got ${vectors.length}`);
      }
      return vectors;
    } catch (error) {
      throw scope.toAppError(error, `embedding with ${this.modelId}`);
    } finally {
      scope.dispose();
    }
  }

  async embedQuery(text: string, signal?: AbortSignal): Promise<number[]> {
    const [vector] = await this.embedDocuments([`${this.queryPrefix}${text}`], signal);
    if (!vector) throw new Error('no embedding returned');
    return vector;
  }
}
