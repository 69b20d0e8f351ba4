import { basename } from 'node:path';
import { AppError, DEFAULT_COLLECTION } from '@review-assistant/shared';
import pLimit from 'p-limit';
import type { EmbeddingModel, StoredRecord, VectorStore } from '../ports.js';
import { searchableText } from '../text/searchable-text.js';
import { ReviewChunker, type ChunkingOptions } from './chunking.js';
import { detectColumns, type ColumnMapping, type ColumnOverrides } from './column-mapping.js';
import { readCsvFile } from './csv-reader.js';
import { createProgress, type ProgressMode, type ProgressReporter } from './progress.js';
import { prepareReviews, type PreparedReview, type SkipReason, type UnreadableField } from './review-records.js';

export interface IngestCsvOptions {
  /** Path of the CSV file. */
  file: string;
  store: VectorStore;
  embedder: EmbeddingModel;
  /** @default "reviews" */
  collection?: string;
  /** Delete the collection first (needed after changing the embedding model). @default false */
  reset?: boolean;
  /** Column names overriding detection (`--text-column` ...). */
  columns?: ColumnOverrides;
  /** `metadata.source` and id prefix. @default the file's base name */
  source?: string;
  /** Texts per `embedDocuments` call. @default 32 */
  embedBatchSize?: number;
  /** Concurrent `embedDocuments` calls. @default 2 */
  concurrency?: number;
  /** Records per upsert, capped by the store's max batch size. @default 256 */
  writeBatchSize?: number;
  /**
   * How far embedding may run ahead of the writes, in write batches (bounds the vectors held in
   * memory while Chroma is slower than the embedder). @default 4
   */
  batchesAhead?: number;
  chunking?: ChunkingOptions;
  /** Progress display, or a reporter of your own. @default "auto" */
  progress?: ProgressMode | ProgressReporter;
  signal?: AbortSignal;
}

export interface IngestSummary {
  source: string;
  collection: string;
  embeddingModel: string;
  mapping: ColumnMapping;
  /** Data rows in the CSV (header excluded). */
  rowsRead: number;
  /** Rows that became a review (rows read minus skipped). */
  reviews: number;
  skipped: Partial<Record<SkipReason, number>>;
  /** Reviews kept without a rating or date whose value could not be read (e.g. rating `Like`), per field. */
  unreadable: Partial<Record<UnreadableField, number>>;
  /** Reviews whose records were all present already (resumed or repeated run). */
  alreadyPresent: number;
  reviewsWritten: number;
  recordsWritten: number;
  /** Reviews longer than the embedder's context, stored as several chunks. */
  chunkedReviews: number;
  /** Records the collection holds at the end. */
  collectionCount: number;
  seconds: number;
}

function batchesOf(reviews: PreparedReview[], maxRecords: number): PreparedReview[][] {
  const batches: PreparedReview[][] = [];
  let current: PreparedReview[] = [];
  let size = 0;
  for (const review of reviews) {
    // a review's chunks are never split across batches, so a crash never leaves half a review
    if (size > 0 && size + review.records.length > maxRecords) {
      batches.push(current);
      current = [];
      size = 0;
    }
    current.push(review);
    size += review.records.length;
  }
  if (current.length > 0) batches.push(current);
  return batches;
}

function checkEmbeddings(embeddings: number[][], expected: number, model: string): void {
  if (embeddings.length !== expected) {
    throw new AppError('model_error', `embedding model ${model} returned ${embeddings.length} vectors for ${expected} texts`);
  }
  const dimensions = embeddings[0]?.length ?? 0;
  for (const vector of embeddings) {
    if (vector.length !== dimensions || dimensions === 0 || !vector.every(Number.isFinite)) {
      throw new AppError('model_error', `embedding model ${model} returned an empty, ragged or non-finite vector`);
    }
  }
}

/**
 * Reads a review CSV into the vector store. The whole file is parsed and validated before anything
 * is written, so a broken CSV leaves the store untouched. Record ids are deterministic
 * (`<file>:<row>#c<chunk>`), records already present are skipped and the rest upserted, so a run
 * that was killed can simply be repeated. Embedding of the next batches overlaps the upsert of the
 * current one (`concurrency` calls in flight, at most `batchesAhead` write batches ahead).
 */
export async function ingestCsv(options: IngestCsvOptions): Promise<IngestSummary> {
  const started = performance.now();
  const { store, embedder, signal } = options;
  const collection = options.collection ?? DEFAULT_COLLECTION;
  const source = options.source ?? basename(options.file);
  const table = await readCsvFile(options.file, source);
  const mapping = detectColumns(table.header, options.columns);
  const prepared = await prepareReviews(table.rows, mapping, source, new ReviewChunker(options.chunking));
  signal?.throwIfAborted();

  if (options.reset) await store.deleteCollection(collection);
  await store.ensureCollection(collection, embedder.modelId);
  const allIds = prepared.reviews.flatMap((review) => review.records.map((record) => record.id));
  const existing = await store.existingIds(collection, allIds);
  const pending = prepared.reviews.filter((review) => review.records.some((record) => !existing.has(record.id)));

  const writeBatchSize = Math.max(1, Math.min(options.writeBatchSize ?? 256, await store.maxBatchSize()));
  const embedBatchSize = Math.max(1, options.embedBatchSize ?? 32);
  const batchesAhead = Math.max(1, options.batchesAhead ?? 4);
  const limit = pLimit(Math.max(1, options.concurrency ?? 2));
  const batches = batchesOf(pending, writeBatchSize);
  const records = pending.flatMap((review) => review.records);
  const texts = records.map((record) => searchableText(record.text, record.metadata));

  // Embedding calls take consecutive slices of ALL pending records (not of each write batch), so a
  // run makes ⌈records ÷ embedBatchSize⌉ calls, `concurrency` of them in flight. Write batches (whole
  // reviews) wait only for the slices they cover; the next batches keep embedding meanwhile.
  const groups: (Promise<number[][]> | undefined)[] = [];
  let launchedUpTo = 0;
  const launchUpTo = (recordEnd: number): void => {
    while (launchedUpTo < Math.min(recordEnd, records.length)) {
      const start = launchedUpTo;
      const group = texts.slice(start, start + embedBatchSize);
      const promise = limit(async () => {
        signal?.throwIfAborted();
        const result = await embedder.embedDocuments(group, signal);
        checkEmbeddings(result, group.length, embedder.modelId);
        return result;
      });
      promise.catch(() => undefined); // awaited in order below; avoid an unhandled rejection meanwhile
      groups.push(promise);
      launchedUpTo = start + group.length;
    }
  };
  const vectorsFor = async (start: number, end: number): Promise<number[][]> => {
    const vectors: number[][] = [];
    const first = Math.floor(start / embedBatchSize);
    const last = Math.floor((end - 1) / embedBatchSize);
    for (let group = first; group <= last; group += 1) {
      const groupStart = group * embedBatchSize;
      const embedded = await groups[group]!;
      for (let index = Math.max(start, groupStart); index < Math.min(end, groupStart + embedded.length); index += 1) vectors.push(embedded[index - groupStart]!);
      if (groupStart + embedded.length <= end) groups[group] = undefined; // consumed: free the vectors
    }
    return vectors;
  };

  const progress = typeof options.progress === 'object' ? options.progress : createProgress({ mode: options.progress ?? 'auto' });
  progress.start(pending.length, `ingesting ${source} → ${collection}`);
  let recordsWritten = 0;
  try {
    let batchStart = 0;
    for (const batch of batches) {
      const batchRecords = batch.flatMap((review) => review.records);
      const batchEnd = batchStart + batchRecords.length;
      // keep the embedder busy while this batch waits and is written: up to `batchesAhead` batches ahead
      launchUpTo(batchEnd + batchesAhead * writeBatchSize);
      const embeddings = await vectorsFor(batchStart, batchEnd);
      signal?.throwIfAborted();
      const stored: StoredRecord[] = batchRecords.map((record, index) => ({ ...record, embedding: embeddings[index]! }));
      await store.upsert(collection, stored);
      recordsWritten += stored.length;
      batchStart = batchEnd;
      progress.increment(batch.length);
    }
  } finally {
    progress.stop();
  }

  return {
    source,
    collection,
    embeddingModel: embedder.modelId,
    mapping,
    rowsRead: prepared.rowsRead,
    reviews: prepared.reviews.length,
    skipped: prepared.skipped,
    unreadable: prepared.unreadable,
    alreadyPresent: prepared.reviews.length - pending.length,
    reviewsWritten: pending.length,
    recordsWritten,
    chunkedReviews: prepared.reviews.filter((review) => review.records.length > 1).length,
    collectionCount: await store.count(collection),
    seconds: (performance.now() - started) / 1000,
  };
}

/** Human-readable final summary of an ingestion run. */
export function formatIngestSummary(summary: IngestSummary): string {
  const skipped = Object.entries(summary.skipped);
  const unreadable = Object.entries(summary.unreadable);
  const lines = [
    `source:          ${summary.source} → collection "${summary.collection}" (${summary.embeddingModel})`,
    `rows read:       ${summary.rowsRead}`,
    `skipped:         ${skipped.length === 0 ? 0 : skipped.map(([reason, count]) => `${count} (${reason})`).join(', ')}`,
    ...(unreadable.length === 0 ? [] : [`unreadable:      ${unreadable.map(([field, count]) => `${count} ${field}`).join(', ')} (kept without it)`]),
    `reviews:         ${summary.reviews} (${summary.chunkedReviews} long ones chunked)`,
    `already present: ${summary.alreadyPresent}`,
    `written:         ${summary.reviewsWritten} reviews, ${summary.recordsWritten} records`,
    `collection size: ${summary.collectionCount} records`,
    `time:            ${summary.seconds.toFixed(1)} s`,
  ];
  return lines.join('\n');
}
