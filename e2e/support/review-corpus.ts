import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { ChromaVectorStore, createBackends, ensureChroma, ingestCsv, type EmbeddedChroma } from '@review-assistant/local-worker';

type Embedder = Parameters<typeof ingestCsv>[0]['embedder'];

/** Four reviews of two restaurants, written by the project for the end-to-end tests. */
export const E2E_REVIEWS_CSV = [
  'Restaurant,Reviewer,Review,Rating,Time',
  '"Saffron House",Asha,"The chicken biryani was fragrant and properly spicy, with tender meat. Service was quick.",5,2024-03-02',
  '"Saffron House",Ravi,"Biryani was too oily for me and the raita was warm. Staff were friendly though.",3,2024-03-09',
  '"Green Leaf Cafe",Meera,"Lovely salads and a calm terrace; the coffee is excellent but pricey.",4,2024-04-01',
  '"Green Leaf Cafe",Tom,"Waited forty minutes for a sandwich. Coffee was cold.",2,2024-04-11',
].join('\n');

/** Writes the reviews to `<dataDir>/e2e-reviews.csv` (the sources' file name) and ingests them into Chroma at `chromaUrl`. */
export async function ingestE2eReviews(dataDir: string, chromaUrl: string, embedder: Embedder): Promise<void> {
  const file = join(dataDir, 'e2e-reviews.csv');
  await writeFile(file, E2E_REVIEWS_CSV, 'utf8');
  await ingestCsv({ file, store: new ChromaVectorStore({ url: chromaUrl }), embedder, progress: 'none' });
}

/**
 * Starts the project's embedded Chroma in `dataDir` and ingests the reviews with the offline
 * embedding model, as a worker on the offline backend reads them.
 */
export async function startChromaWithReviews(dataDir: string): Promise<EmbeddedChroma> {
  const chroma = await ensureChroma({ dataDir, handleSignals: false });
  const offline = await createBackends(
    { modelBackend: 'offline', ollamaHost: 'http://127.0.0.1:1', chatModel: 'llama3.2', embedModel: 'mxbai-embed-large', ollamaProbeTimeoutMs: 100, ollamaIdleTimeoutMs: 1000, ollamaKeepAlive: '5m', ollamaPullMissing: false },
    { log: () => undefined },
  );
  await ingestE2eReviews(dataDir, chroma.url, offline.embeddingModel);
  return chroma;
}
