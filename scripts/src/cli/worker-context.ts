import { createBackends, loadWorkerConfig, type EmbeddingModel } from '@review-assistant/local-worker';
import { connectVectorStore, type VectorStoreConnection } from './vector-store-connection.js';

export interface CliContext {
  embedder: EmbeddingModel;
  /** Why this embedding backend (same rule as the worker: MODEL_BACKEND, Ollama probe). */
  backendReason: string;
  connection: VectorStoreConnection;
}

/**
 * What the ingest/retrieve CLIs share with the worker: its configuration (DATA_DIR, CHROMA_URL,
 * MODEL_BACKEND, ...), the same backend choice (so documents and queries are embedded by the
 * model the worker uses) and the same Chroma.
 */
export async function openCliContext(): Promise<CliContext> {
  const config = loadWorkerConfig();
  const backends = await createBackends(config, { log: (line) => process.stderr.write(`${line}\n`) });
  const connection = await connectVectorStore({ dataDir: config.dataDir, chromaUrl: config.chromaUrl });
  return { embedder: backends.embeddingModel, backendReason: backends.reason, connection };
}
