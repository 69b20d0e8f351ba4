import { DEFAULT_COLLECTION } from '@review-assistant/shared';
import { ChromaVectorStore, loadWorkerConfig, workerEmbeddingModelId } from '@review-assistant/local-worker';

/** What `npm start` needs to know about the reviews collection before starting the worker. */
export interface ReviewsCollectionState {
  count: number;
  /** The embedding model the collection was built with; null when none is recorded. */
  embeddingModel: string | null;
  /** A `metadata.source` other than the sample's file name, or null when every record comes from the sample. */
  otherSource: string | null;
}

/** Reads the state of the reviews collection from Chroma; `sampleSource` is the sample CSV's file name. */
export async function inspectReviewsWithChroma(chromaUrl: string, sampleSource: string): Promise<ReviewsCollectionState> {
  const store = new ChromaVectorStore({ url: chromaUrl });
  const info = (await store.listCollections()).find((collection) => collection.name === DEFAULT_COLLECTION);
  if (info === undefined || info.count === 0) return { count: 0, embeddingModel: info?.embeddingModel ?? null, otherSource: null };
  return { count: info.count, embeddingModel: info.embeddingModel, otherSource: await store.sourceOtherThan(DEFAULT_COLLECTION, sampleSource) };
}

/** The embedding model id the worker will use with this environment: the worker's own backend choice, no models built. */
export async function workerEmbeddingModelIdFor(env: NodeJS.ProcessEnv): Promise<string> {
  return workerEmbeddingModelId(loadWorkerConfig({ env }));
}
