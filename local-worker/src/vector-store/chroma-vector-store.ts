import { AppError, ReviewMetadataSchema, type ReviewFilters, type ReviewMetadata } from '@review-assistant/shared';
import { ChromaClient, ChromaNotFoundError, type Collection, type Metadata, type Where } from 'chromadb';
import type { CollectionInfo, ReviewRecord, StoredRecord, VectorMatch, VectorNeighbour, VectorStore } from '../ports.js';
import { toChromaWhere } from './review-filters.js';

export interface ChromaVectorStoreOptions {
  /** Chroma server URL, e.g. `http://127.0.0.1:8000` (from `CHROMA_URL` or `ensureChroma`). */
  url: string;
  /** Extra HTTP headers (e.g. auth for a hosted Chroma). */
  headers?: Record<string, string>;
  /** Records per page when scanning a collection. @default 1000 */
  scanPageSize?: number;
}

/** Collection metadata key holding the embedding model id the vectors were made with. */
const EMBEDDING_MODEL_KEY = 'embedding_model';

/** A collection holds vectors of another embedding model than the one in use. */
export class EmbeddingModelMismatchError extends AppError {
  constructor(
    readonly collection: string,
    readonly storedModel: string,
    readonly requestedModel: string,
  ) {
    super(
      'bad_request',
      `collection "${collection}" was built with embedding model "${storedModel}" but the worker now uses "${requestedModel}"; ` +
        `re-ingest it with the current model: npm run ingest -- <file.csv> --collection ${collection} --reset`,
      { details: { collection, storedModel, requestedModel } },
    );
  }
}

function isNotFound(error: unknown): boolean {
  return error instanceof ChromaNotFoundError || (error instanceof Error && /does not exist|not found/i.test(error.message));
}

function toStoreError(error: unknown, action: string): unknown {
  if (error instanceof AppError) return error;
  const message = error instanceof Error ? error.message : String(error);
  return new AppError('vector_store_unavailable', `Chroma ${action} failed: ${message}`, { cause: error });
}

function toChromaMetadata(metadata: ReviewMetadata): Metadata {
  const result: Metadata = {};
  for (const [key, value] of Object.entries(metadata)) {
    if (value === null || value === undefined) continue;
    result[key] = value;
  }
  return result;
}

function fromChromaMetadata(metadata: unknown): ReviewMetadata {
  return ReviewMetadataSchema.parse(metadata ?? {});
}

/** `VectorStore` on a Chroma server through the `chromadb` 3.x client; collections use cosine space. */
export class ChromaVectorStore implements VectorStore {
  readonly provider = 'chroma';
  readonly url: string;
  private readonly client: ChromaClient;
  private readonly collections = new Map<string, Promise<Collection | null>>();
  private readonly scanPageSize: number;
  private batchSize: number | null = null;

  constructor(options: ChromaVectorStoreOptions) {
    const url = new URL(options.url);
    this.url = url.origin;
    const ssl = url.protocol === 'https:';
    this.client = new ChromaClient({
      host: url.hostname,
      port: url.port === '' ? (ssl ? 443 : 80) : Number(url.port),
      ssl,
      ...(options.headers === undefined ? {} : { headers: options.headers }),
    });
    this.scanPageSize = options.scanPageSize ?? 1000;
  }

  private collection(name: string): Promise<Collection | null> {
    let cached = this.collections.get(name);
    if (!cached) {
      cached = this.client.getCollection({ name }).catch((error: unknown) => {
        this.collections.delete(name);
        if (isNotFound(error)) return null;
        throw toStoreError(error, `opening collection "${name}"`);
      });
      this.collections.set(name, cached);
    }
    return cached;
  }

  private async requireCollection(name: string): Promise<Collection> {
    const collection = await this.collection(name);
    if (!collection) throw new AppError('not_found', `collection "${name}" does not exist; ingest reviews first: npm run ingest -- <file.csv> --collection ${name}`);
    return collection;
  }

  async ensureCollection(name: string, embeddingModel: string): Promise<CollectionInfo> {
    let collection = await this.collection(name);
    if (!collection) {
      this.collections.delete(name);
      try {
        collection = await this.client.createCollection({
          name,
          embeddingFunction: null,
          configuration: { hnsw: { space: 'cosine' } },
          metadata: { [EMBEDDING_MODEL_KEY]: embeddingModel, created_by: 'review-assistant' },
        });
      } catch (error) {
        // another process may have created it in the meantime
        collection = await this.collection(name);
        if (!collection) throw toStoreError(error, `creating collection "${name}"`);
      }
      this.collections.set(name, Promise.resolve(collection));
    }
    const stored = collection.metadata?.[EMBEDDING_MODEL_KEY];
    if (typeof stored === 'string' && stored !== embeddingModel) throw new EmbeddingModelMismatchError(name, stored, embeddingModel);
    return { name, count: await this.count(name), embeddingModel: typeof stored === 'string' ? stored : null };
  }

  async deleteCollection(name: string): Promise<void> {
    this.collections.delete(name);
    try {
      await this.client.deleteCollection({ name });
    } catch (error) {
      if (!isNotFound(error)) throw toStoreError(error, `deleting collection "${name}"`);
    }
  }

  async listCollections(): Promise<CollectionInfo[]> {
    try {
      const collections = await this.client.listCollections({ limit: 1000 });
      return await Promise.all(
        collections.map(async (collection) => {
          const stored = collection.metadata?.[EMBEDDING_MODEL_KEY];
          return { name: collection.name, count: await collection.count(), embeddingModel: typeof stored === 'string' ? stored : null };
        }),
      );
    } catch (error) {
      throw toStoreError(error, 'listing collections');
    }
  }

  async count(name: string): Promise<number> {
    return (await this.countWithId(name))?.count ?? 0;
  }

  /** Collection id (new on every recreate) and record count, from the one count request. */
  async revision(name: string): Promise<string> {
    const current = await this.countWithId(name);
    return current === null ? 'absent' : `${current.id}:${current.count}`;
  }

  /** Counts through the cached collection handle; if that collection was deleted meanwhile (another process recreated it), opens it again once. */
  private async countWithId(name: string, retry = true): Promise<{ id: string; count: number } | null> {
    const collection = await this.collection(name);
    if (!collection) return null;
    try {
      return { id: collection.id, count: await collection.count() };
    } catch (error) {
      if (isNotFound(error)) {
        this.collections.delete(name);
        return retry ? this.countWithId(name, false) : null;
      }
      throw toStoreError(error, `counting "${name}"`);
    }
  }

  /**
   * A `metadata.source` other than `source` found in the collection, or null when every record
   * comes from `source` (or there is no such collection): one single-record read at any size.
   */
  async sourceOtherThan(name: string, source: string): Promise<string | null> {
    const collection = await this.collection(name);
    if (!collection) return null;
    try {
      const result = await collection.get({ where: { source: { $ne: source } }, limit: 1, include: ['metadatas'] });
      if (result.ids.length === 0) return null;
      const other = result.metadatas[0]?.['source'];
      return typeof other === 'string' ? other : String(other);
    } catch (error) {
      throw toStoreError(error, `reading the sources of "${name}"`);
    }
  }

  async maxBatchSize(): Promise<number> {
    if (this.batchSize === null) {
      try {
        this.batchSize = await this.client.getMaxBatchSize();
      } catch (error) {
        throw toStoreError(error, 'reading the max batch size');
      }
    }
    return this.batchSize;
  }

  async upsert(name: string, records: StoredRecord[]): Promise<void> {
    if (records.length === 0) return;
    const collection = await this.requireCollection(name);
    const limit = await this.maxBatchSize();
    for (let start = 0; start < records.length; start += limit) {
      const batch = records.slice(start, start + limit);
      try {
        await collection.upsert({
          ids: batch.map((record) => record.id),
          embeddings: batch.map((record) => record.embedding),
          documents: batch.map((record) => record.text),
          metadatas: batch.map((record) => toChromaMetadata(record.metadata)),
        });
      } catch (error) {
        throw toStoreError(error, `upserting into "${name}"`);
      }
    }
  }

  async existingIds(name: string, ids: string[]): Promise<Set<string>> {
    const found = new Set<string>();
    const collection = await this.collection(name);
    if (!collection || ids.length === 0) return found;
    const limit = await this.maxBatchSize();
    for (let start = 0; start < ids.length; start += limit) {
      try {
        const result = await collection.get({ ids: ids.slice(start, start + limit), include: [] });
        for (const id of result.ids) found.add(id);
      } catch (error) {
        throw toStoreError(error, `reading ids of "${name}"`);
      }
    }
    return found;
  }

  async query(name: string, embedding: number[], options: { k: number; filters?: ReviewFilters | undefined }): Promise<VectorMatch[]> {
    const collection = await this.collection(name);
    if (!collection) return [];
    const where = toChromaWhere(options.filters) as Where | undefined;
    try {
      const result = await collection.query({
        queryEmbeddings: [embedding],
        nResults: options.k,
        include: ['documents', 'metadatas', 'distances'],
        ...(where === undefined ? {} : { where }),
      });
      const ids = result.ids[0] ?? [];
      const documents = result.documents[0] ?? [];
      const metadatas = result.metadatas[0] ?? [];
      const distances = result.distances[0] ?? [];
      return ids.map((id, index) => ({
        id,
        text: documents[index] ?? '',
        metadata: fromChromaMetadata(metadatas[index]),
        distance: distances[index] ?? 2,
      }));
    } catch (error) {
      throw toStoreError(error, `querying "${name}"`);
    }
  }

  /**
   * Ids and distances only: without documents and metadata a 40-neighbour query takes about half
   * the time, and a few hundred neighbours cost little more than 40 (measured at 10k records).
   */
  async nearest(name: string, embedding: number[], options: { k: number; ids?: string[] | undefined }): Promise<VectorNeighbour[]> {
    const collection = await this.collection(name);
    if (!collection || options.k <= 0 || options.ids?.length === 0) return [];
    try {
      const result = await collection.query({
        queryEmbeddings: [embedding],
        nResults: options.ids === undefined ? options.k : Math.min(options.k, options.ids.length),
        include: ['distances'],
        ...(options.ids === undefined ? {} : { ids: options.ids }),
      });
      const distances = result.distances[0] ?? [];
      return (result.ids[0] ?? []).map((id, index) => ({ id, distance: distances[index] ?? 2 }));
    } catch (error) {
      throw toStoreError(error, `querying "${name}"`);
    }
  }

  async *scanAll(name: string): AsyncIterable<ReviewRecord[]> {
    const collection = await this.collection(name);
    if (!collection) return;
    for (let offset = 0; ; offset += this.scanPageSize) {
      let page;
      try {
        page = await collection.get({ limit: this.scanPageSize, offset, include: ['documents', 'metadatas'] });
      } catch (error) {
        throw toStoreError(error, `scanning "${name}"`);
      }
      if (page.ids.length === 0) return;
      yield page.ids.map((id, index) => ({ id, text: page.documents[index] ?? '', metadata: fromChromaMetadata(page.metadatas[index]) }));
      if (page.ids.length < this.scanPageSize) return;
    }
  }

  async heartbeat(): Promise<boolean> {
    try {
      await this.client.heartbeat();
      return true;
    } catch {
      return false;
    }
  }
}
