import { ReviewFiltersSchema } from '@review-assistant/shared';
import { z } from 'zod';
import { reviewIdOf } from '../ingestion/review-records.js';
import type { EmbeddingModel, Retriever, ReviewRecord, VectorStore } from '../ports.js';
import { HybridRetriever } from './hybrid-retriever.js';
import { KeywordIndexCache } from './keyword-index-cache.js';

/** A question set: diner questions and the 0-based CSV rows of the reviews that answer them. */
export const QuestionSetSchema = z.object({
  description: z.string().optional(),
  /** CSV file name the rows refer to (`metadata.source`). */
  source: z.string().min(1),
  questions: z
    .array(
      z.object({
        question: z.string().min(1),
        rows: z.array(z.number().int().nonnegative()).min(1),
        filters: ReviewFiltersSchema.optional(),
      }),
    )
    .min(1),
  /** Questions no review answers: retrieval should return nothing for them. */
  unrelated: z.array(z.string().min(1)).optional(),
});
export type QuestionSet = z.infer<typeof QuestionSetSchema>;

export interface RetrievalScores {
  /** Mean over questions of |relevant ∩ top-k| / min(|relevant|, k). */
  vector: number;
  keyword: number;
  hybrid: number;
}

export interface RetrievalEvaluation {
  k: number;
  questions: number;
  recall: RetrievalScores;
  /** Share of the `unrelated` questions for which hybrid retrieval returned nothing (null without any). */
  unrelatedEmpty: number | null;
  /** Hybrid misses, for tuning: question, expected rows, returned rows. */
  misses: { question: string; expected: number[]; returned: number[] }[];
}

function topRows(records: ReviewRecord[], source: string, k: number): number[] {
  const rows: number[] = [];
  const seen = new Set<string>();
  for (const record of records) {
    const review = reviewIdOf(record.id);
    if (seen.has(review)) continue;
    seen.add(review);
    if (record.metadata.source === source) rows.push(record.metadata.row);
    if (rows.length === k) break;
  }
  return rows;
}

function recall(expected: number[], returned: number[], k: number): number {
  const hits = expected.filter((row) => returned.includes(row)).length;
  return hits / Math.min(expected.length, k);
}

/** Recall@k of vector-only, BM25-only and hybrid retrieval on an ingested collection. */
export async function evaluateRetrieval(options: {
  store: VectorStore;
  embedder: EmbeddingModel;
  collection: string;
  questionSet: QuestionSet;
  k?: number;
  /** The hybrid retriever to measure. @default a HybridRetriever with default settings */
  retriever?: Retriever;
}): Promise<RetrievalEvaluation> {
  const { store, embedder, collection, questionSet } = options;
  const k = options.k ?? 5;
  const indexes = new KeywordIndexCache(store);
  const retriever = options.retriever ?? new HybridRetriever({ store, embedder, keywordIndexes: indexes });
  const index = await indexes.get(collection);
  const totals = { vector: 0, keyword: 0, hybrid: 0 };
  const misses: RetrievalEvaluation['misses'] = [];
  for (const item of questionSet.questions) {
    const embedding = await embedder.embedQuery(item.question);
    const vectorMatches = await store.query(collection, embedding, { k: 4 * k, filters: item.filters });
    const keywordHits = index.search(item.question, { k: 4 * k, filters: item.filters });
    const hybrid = await retriever.retrieve(item.question, { k, collection, filters: item.filters });
    const vectorRows = topRows(vectorMatches, questionSet.source, k);
    const keywordRows = topRows(keywordHits.map((hit) => hit.record), questionSet.source, k);
    const hybridRows = hybrid.filter((result) => result.metadata.source === questionSet.source).map((result) => result.metadata.row);
    totals.vector += recall(item.rows, vectorRows, k);
    totals.keyword += recall(item.rows, keywordRows, k);
    const hybridRecall = recall(item.rows, hybridRows, k);
    totals.hybrid += hybridRecall;
    if (hybridRecall < 1) misses.push({ question: item.question, expected: item.rows, returned: hybridRows });
  }
  let unrelatedEmpty: number | null = null;
  if (questionSet.unrelated && questionSet.unrelated.length > 0) {
    let empty = 0;
    for (const question of questionSet.unrelated) {
      if ((await retriever.retrieve(question, { k, collection })).length === 0) empty += 1;
    }
    unrelatedEmpty = empty / questionSet.unrelated.length;
  }
  const count = questionSet.questions.length;
  return {
    k,
    questions: count,
    recall: { vector: totals.vector / count, keyword: totals.keyword / count, hybrid: totals.hybrid / count },
    unrelatedEmpty,
    misses,
  };
}
