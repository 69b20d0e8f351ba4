import { DEFAULT_COLLECTION, type SourceItem } from '@review-assistant/shared';
import { reviewIdOf } from '../ingestion/review-records.js';
import type { ReviewFilters } from '@review-assistant/shared';
import type { EmbeddingModel, RetrieveOptions, Retriever, ReviewRecord, VectorMatch, VectorNeighbour, VectorStore } from '../ports.js';
import { expandTerms } from '../text/query-expansion.js';
import { EmbeddingModelMismatchError } from '../vector-store/chroma-vector-store.js';
import type { KeywordIndex } from './keyword-index.js';
import { KeywordIndexCache } from './keyword-index-cache.js';

export type FusionMethod = 'rrf' | 'weighted';

export interface HybridRetrieverOptions {
  store: VectorStore;
  embedder: EmbeddingModel;
  /** Shared keyword indexes (e.g. with the health route). @default a new cache on `store` */
  keywordIndexes?: KeywordIndexCache;
  /** @default "reviews" */
  defaultCollection?: string;
  /** @default 5 */
  defaultK?: number;
  /** Candidates taken from each ranking before fusion. @default max(4k, 40) */
  candidates?: number;
  /**
   * `weighted`: `keywordWeight · bm25 / max bm25 + vectorWeight · similarity / max similarity`
   * over the candidates; `rrf`: weighted reciprocal rank fusion (Cormack et al., SIGIR 2009).
   * @default 'weighted'
   */
  fusion?: FusionMethod;
  /** Reciprocal-rank-fusion constant. @default 60 */
  rrfK?: number;
  /** Weight of the vector side. @default 0.4 */
  vectorWeight?: number;
  /** Weight of the keyword side (BM25 is the stronger signal with the offline model; tuned on data/sample/realistic-questions.json). @default 0.6 */
  keywordWeight?: number;
  /**
   * Relevance floor for the whole query: results are returned only when some candidate review
   * contains at least this share of the query's IDF mass (see `KeywordIndex.coverage`)...
   * @default 0.34
   */
  minCoverage?: number;
  /**
   * ...or reaches this cosine similarity to the query. Depends on the embedding model: hashed
   * n-gram vectors of unrelated texts sit below 0.2, mxbai-embed-large's near 0.4.
   * @default 0.3 for the offline model, 0.6 otherwise
   */
  minSimilarity?: number;
  /**
   * ...or when at least two of its words, making up this share of its IDF mass, occur in the
   * collection at all (a question spread over several reviews). @default 0.4
   */
  minCorpusCoverage?: number;
  /**
   * Per-review floor once the query passed: a review needs this coverage or half of
   * `minSimilarity`, so weak tail matches are not padded in. @default 0.1
   */
  minItemCoverage?: number;
  /** Add related diner words (`text/query-expansion.ts`) to the keyword query. @default true */
  expandQuery?: boolean;
  /**
   * Filtered vector search: when fetching the nearest records overall and filtering them here
   * needs at most this many neighbours (2 × candidates ÷ share of records passing), that is done;
   * narrower filters search among the passing ids only. @default 600
   */
  maxOverFetch?: number;
}

interface Candidate {
  reviewId: string;
  record: ReviewRecord;
  vectorRank: number | null;
  keywordRank: number | null;
  similarity: number | null;
  keywordScore: number;
  coverage: number;
}

/**
 * Hybrid retrieval: Chroma kNN on the query embedding and BM25 on the same collection, both
 * restricted by the metadata filters, fused at review level (one review → its best chunk), then
 * cut by a relevance floor so that an unrelated question returns nothing. Scores are in [0, 1].
 */
export class HybridRetriever implements Retriever {
  private readonly store: VectorStore;
  private readonly embedder: EmbeddingModel;
  private readonly keywordIndexes: KeywordIndexCache;
  private readonly defaultCollection: string;
  private readonly defaultK: number;
  private readonly fusion: FusionMethod;
  private readonly rrfK: number;
  private readonly vectorWeight: number;
  private readonly keywordWeight: number;
  private readonly minCoverage: number;
  private readonly minSimilarity: number;
  private readonly minItemCoverage: number;
  private readonly minCorpusCoverage: number;
  private readonly candidates: number | undefined;
  private readonly expandQuery: boolean;
  private readonly maxOverFetch: number;
  /** Collection → revision whose embedding model was checked (re-checked after a re-ingest or reset). */
  private readonly checkedRevisions = new Map<string, string>();

  constructor(options: HybridRetrieverOptions) {
    this.store = options.store;
    this.embedder = options.embedder;
    this.keywordIndexes = options.keywordIndexes ?? new KeywordIndexCache(options.store);
    this.defaultCollection = options.defaultCollection ?? DEFAULT_COLLECTION;
    this.defaultK = options.defaultK ?? 5;
    this.fusion = options.fusion ?? 'weighted';
    this.rrfK = options.rrfK ?? 60;
    this.vectorWeight = options.vectorWeight ?? 0.4;
    this.keywordWeight = options.keywordWeight ?? 0.6;
    this.minCoverage = options.minCoverage ?? 0.34;
    this.minSimilarity = options.minSimilarity ?? (options.embedder.provider === 'offline' ? 0.3 : 0.6);
    this.minItemCoverage = options.minItemCoverage ?? 0.1;
    this.minCorpusCoverage = options.minCorpusCoverage ?? 0.4;
    this.candidates = options.candidates;
    this.expandQuery = options.expandQuery ?? true;
    this.maxOverFetch = options.maxOverFetch ?? 600;
  }

  /**
   * The `wanted` nearest records passing the filters. With a store that can return ids and
   * distances alone, texts and metadata come from the keyword index (it holds every record), and
   * filters are applied here: Chroma's own filtered search (`where` on numeric ranges over a broad
   * set) took about 5× as long as an unfiltered one at 10k records. A broad filter fetches the
   * nearest records overall (2× over the share that passes) and keeps the passing ones; a narrow
   * filter, or too few passing, searches among the passing ids only.
   */
  private async vectorMatches(collection: string, embedding: number[], index: KeywordIndex, wanted: number, filters: ReviewFilters | undefined): Promise<VectorMatch[]> {
    const nearest = this.store.nearest?.bind(this.store);
    if (!nearest) return this.store.query(collection, embedding, { k: Math.min(wanted, index.size), filters });
    const withRecords = (neighbours: VectorNeighbour[], allowed?: Set<string>): VectorMatch[] =>
      neighbours.flatMap((neighbour) => {
        if (allowed && !allowed.has(neighbour.id)) return [];
        const record = index.record(neighbour.id);
        return record ? [{ ...record, distance: neighbour.distance }] : [];
      });
    const passing = index.idsMatching(filters);
    if (passing === null) return withRecords(await nearest(collection, embedding, { k: Math.min(wanted, index.size) }));
    const target = Math.min(wanted, passing.length);
    if (target === 0) return [];
    const overFetch = Math.ceil((2 * target * index.size) / passing.length);
    if (overFetch <= this.maxOverFetch) {
      const found = withRecords(await nearest(collection, embedding, { k: Math.min(overFetch, index.size) }), new Set(passing));
      if (found.length >= target) return found.slice(0, target);
    }
    return withRecords(await nearest(collection, embedding, { k: target, ids: passing }));
  }

  /** Vectors of another model would be compared with this model's query: refuse, naming --reset. */
  private async checkModel(collection: string, revision: string): Promise<void> {
    if (this.checkedRevisions.get(collection) === revision) return;
    const info = (await this.store.listCollections()).find((candidate) => candidate.name === collection);
    if (!info) return; // nothing ingested yet: retrieval returns nothing
    if (info.embeddingModel !== null && info.embeddingModel !== this.embedder.modelId) {
      throw new EmbeddingModelMismatchError(collection, info.embeddingModel, this.embedder.modelId);
    }
    this.checkedRevisions.set(collection, revision);
  }

  async retrieve(query: string, options: RetrieveOptions = {}): Promise<SourceItem[]> {
    const k = options.k ?? this.defaultK;
    const collection = options.collection ?? this.defaultCollection;
    const candidates = this.candidates ?? Math.max(4 * k, 40);
    const revision = await this.store.revision(collection);
    await this.checkModel(collection, revision);
    const index = await this.keywordIndexes.get(collection, revision);
    const queryTerms = index.queryTerms(query);
    if (queryTerms.length === 0 || index.size === 0) return [];
    options.signal?.throwIfAborted();

    const embedding = await this.embedder.embedQuery(query, options.signal);
    const vectorMatches = await this.vectorMatches(collection, embedding, index, candidates, options.filters);
    const extraTerms = this.expandQuery ? expandTerms(queryTerms) : [];
    const keywordHits = index.search(query, { k: candidates, filters: options.filters, extraTerms });

    const byReview = new Map<string, Candidate>();
    let rank = 0;
    let lowestSimilarity = 0;
    for (const match of vectorMatches) {
      const reviewId = reviewIdOf(match.id);
      if (byReview.has(reviewId)) continue;
      rank += 1;
      const similarity = 1 - match.distance;
      lowestSimilarity = similarity;
      byReview.set(reviewId, {
        reviewId,
        record: match,
        vectorRank: rank,
        keywordRank: null,
        similarity,
        keywordScore: index.scoreOf(queryTerms, match.id, extraTerms),
        coverage: index.coverage(queryTerms, match.id),
      });
    }
    rank = 0;
    for (const hit of keywordHits) {
      const reviewId = reviewIdOf(hit.record.id);
      const existing = byReview.get(reviewId);
      if (existing?.keywordRank != null) continue;
      rank += 1;
      if (existing) {
        existing.keywordRank = rank;
        if (hit.score > existing.keywordScore) {
          existing.keywordScore = hit.score;
          existing.coverage = hit.coverage;
        }
      } else {
        byReview.set(reviewId, { reviewId, record: hit.record, vectorRank: null, keywordRank: rank, similarity: null, keywordScore: hit.score, coverage: hit.coverage });
      }
    }
    const judged = [...byReview.values()];
    const corpus = index.corpusCoverage(queryTerms);
    const relevant =
      (corpus.knownTerms >= 2 && corpus.coverage >= this.minCorpusCoverage) ||
      judged.some((item) => item.coverage >= this.minCoverage || (item.similarity ?? 0) >= this.minSimilarity);
    if (!relevant) return [];

    // a review missing from the vector top-N is at most as similar as the last one listed there
    for (const item of judged) if (item.similarity === null) item.similarity = Math.min(lowestSimilarity, this.minSimilarity);
    const maxKeyword = Math.max(...judged.map((item) => item.keywordScore), Number.MIN_VALUE);
    const maxSimilarity = Math.max(...judged.map((item) => item.similarity ?? 0), Number.MIN_VALUE);
    const totalWeight = this.vectorWeight + this.keywordWeight || 1;
    const scored: SourceItem[] = [];
    for (const item of judged) {
      const similarity = item.similarity ?? 0;
      if (item.coverage < this.minItemCoverage && similarity < this.minSimilarity / 2) continue;
      const fused =
        this.fusion === 'rrf'
          ? ((item.vectorRank === null ? 0 : this.vectorWeight / (this.rrfK + item.vectorRank)) +
              (item.keywordRank === null ? 0 : this.keywordWeight / (this.rrfK + item.keywordRank))) /
            (totalWeight / (this.rrfK + 1))
          : (this.keywordWeight * (item.keywordScore / maxKeyword) + this.vectorWeight * (Math.max(0, similarity) / maxSimilarity)) / totalWeight;
      scored.push({ id: item.reviewId, score: Math.min(1, Math.max(0, fused)), text: item.record.text, metadata: item.record.metadata });
    }
    scored.sort((left, right) => right.score - left.score || (left.id < right.id ? -1 : 1));
    return scored.slice(0, k);
  }
}
