import type { ReviewFilters, ReviewMetadata, SourceItem } from '@review-assistant/shared';

/**
 * Ports of the worker: one small interface per external backend. Implementations live in
 * `models/` (Ollama, offline) and `vector-store/` (Chroma); `backends.ts` picks them in one place.
 */

export interface EmbeddingModel {
  /** e.g. `ollama`, `offline` */
  readonly provider: string;
  /** e.g. `mxbai-embed-large`, `offline-hashed-tfidf-v1`; stored with each collection. */
  readonly modelId: string;
  /** Embeds documents for storage (may batch internally). */
  embedDocuments(texts: string[], signal?: AbortSignal): Promise<number[][]>;
  /** Embeds a search query (some models prefix queries differently). */
  embedQuery(text: string, signal?: AbortSignal): Promise<number[]>;
}

export interface ChatMessage {
  role: 'system' | 'user' | 'assistant';
  content: string;
}

export interface ChatChunk {
  text: string;
}

export interface ChatUsage {
  promptTokens?: number | null;
  completionTokens?: number | null;
}

export interface ChatStreamOptions {
  /** Aborting cancels the underlying model request. */
  signal?: AbortSignal;
  maxTokens?: number;
  temperature?: number;
  /** Called once with token counts when the model reports them. */
  onUsage?: (usage: ChatUsage) => void;
}

export interface ChatModel {
  readonly provider: string;
  readonly modelId: string;
  stream(messages: ChatMessage[], options?: ChatStreamOptions): AsyncIterable<ChatChunk>;
}

/** A stored record: a review or one chunk of a long review. */
export interface ReviewRecord {
  id: string;
  text: string;
  metadata: ReviewMetadata;
}

export interface StoredRecord extends ReviewRecord {
  embedding: number[];
}

export interface VectorMatch extends ReviewRecord {
  /** Cosine distance in [0, 2]; smaller is closer. */
  distance: number;
}

/** A nearest neighbour without its text and metadata. */
export interface VectorNeighbour {
  id: string;
  /** Cosine distance in [0, 2]; smaller is closer. */
  distance: number;
}

export interface CollectionInfo {
  name: string;
  count: number;
  /** Embedding model the collection was built with (from collection metadata). */
  embeddingModel: string | null;
}

export interface VectorStore {
  readonly provider: string;
  /** Creates the collection (cosine space) if needed; fails if it holds another model's vectors. */
  ensureCollection(name: string, embeddingModel: string): Promise<CollectionInfo>;
  deleteCollection(name: string): Promise<void>;
  listCollections(): Promise<CollectionInfo[]>;
  count(name: string): Promise<number>;
  /**
   * Changes whenever the collection's records may have changed: recreated (`ingest --reset`) or
   * grown (ingestion only adds records). One round trip, like `count`; 'absent' when there is none.
   */
  revision(name: string): Promise<string>;
  /** Largest number of records accepted by one upsert. */
  maxBatchSize(): Promise<number>;
  upsert(name: string, records: StoredRecord[]): Promise<void>;
  /** Ids among `ids` that already exist (for resumable ingestion). */
  existingIds(name: string, ids: string[]): Promise<Set<string>>;
  /** Nearest neighbours of `embedding`, restricted by `filters`. */
  query(name: string, embedding: number[], options: { k: number; filters?: ReviewFilters | undefined }): Promise<VectorMatch[]>;
  /**
   * Optional fast path: ids and distances of the nearest records only (the caller holds texts and
   * metadata, e.g. in the keyword index); `ids` restricts the search to those records.
   */
  nearest?(name: string, embedding: number[], options: { k: number; ids?: string[] | undefined }): Promise<VectorNeighbour[]>;
  /** Every record's id, text and metadata (for the keyword index); paged internally. */
  scanAll(name: string): AsyncIterable<ReviewRecord[]>;
  /** Liveness of the store. */
  heartbeat(): Promise<boolean>;
}

export interface RetrieveOptions {
  k?: number | undefined;
  filters?: ReviewFilters | undefined;
  collection?: string | undefined;
  signal?: AbortSignal | undefined;
}

/** Hybrid retrieval (vector + keyword, fused, with a relevance floor). */
export interface Retriever {
  retrieve(query: string, options?: RetrieveOptions): Promise<SourceItem[]>;
}
