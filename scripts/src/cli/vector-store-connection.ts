import { resolve } from 'node:path';
import { ChromaVectorStore, ensureChroma } from '@review-assistant/local-worker';

export interface VectorStoreConnection {
  store: ChromaVectorStore;
  url: string;
  /** Stops Chroma when this process started it; a no-op for CHROMA_URL or a reused embedded server. */
  close(): Promise<void>;
}

/**
 * Chroma for a CLI: `CHROMA_URL` when set, else the embedded server that `npm start` runs for the
 * same `DATA_DIR` (reused), else one started for the duration of the command.
 */
export async function connectVectorStore(options: { dataDir: string; chromaUrl?: string | undefined }): Promise<VectorStoreConnection> {
  const chroma = await ensureChroma({
    dataDir: resolve(options.dataDir),
    chromaUrl: options.chromaUrl,
    handleSignals: true,
    logger: { info: (message: string) => process.stderr.write(`${message}\n`), warn: (message: string) => process.stderr.write(`${message}\n`) },
  });
  return { store: new ChromaVectorStore({ url: chroma.url }), url: chroma.url, close: () => chroma.stop() };
}
