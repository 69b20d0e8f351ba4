import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ChromaVectorStore } from '../vector-store/chroma-vector-store.js';
import { ensureChroma, type EmbeddedChroma } from '../runtime/embedded-chroma.js';

/** A real Chroma server in a temporary DATA_DIR for one test file; `stop()` kills it and removes the folder. */
export async function startTestChroma(): Promise<{ chroma: EmbeddedChroma; store: ChromaVectorStore; dataDir: string; stop(): Promise<void> }> {
  const dataDir = await mkdtemp(join(tmpdir(), 'review-chroma-'));
  const chroma = await ensureChroma({ dataDir, handleSignals: false });
  return {
    chroma,
    dataDir,
    store: new ChromaVectorStore({ url: chroma.url }),
    async stop() {
      await chroma.stop();
      await rm(dataDir, { recursive: true, force: true });
    },
  };
}
