import { OllamaEmbeddings } from '@langchain/ollama';
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

export interface OllamaEmbeddingModelOptions extends OllamaConnectionOptions {
  /** @default 'mxbai-embed-large' */
  model?: string;
  /** Text put in front of search queries; @default from `QUERY_PREFIXES` by model name, else none */
  queryPrefix?: string;
}

/**
 * Embeddings through LangChain's OllamaEmbeddings (`POST /api/embed`). Documents are sent as they
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
    const embeddings = new OllamaEmbeddings({
      model: this.modelId,
      baseUrl: this.options.baseURL,
      fetch: scope.fetch,
      keepAlive: this.options.keepAlive ?? '30m',
      truncate: true,
      maxRetries: 0,
      ...(this.options.headers === undefined ? {} : { headers: this.options.headers }),
    });
    try {
      const vectors = await embeddings.embedDocuments(texts);
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
