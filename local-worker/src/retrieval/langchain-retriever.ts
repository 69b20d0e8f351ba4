import type { CallbackManagerForRetrieverRun } from '@langchain/core/callbacks/manager';
import { Document } from '@langchain/core/documents';
import { BaseRetriever, type BaseRetrieverInput } from '@langchain/core/retrievers';
import type { Retriever, RetrieveOptions } from '../ports.js';

/** Metadata of each document: the review's stored metadata (`source`, `row`, restaurant, ...) plus its record id and fused score. */
export interface ReviewDocumentMetadata extends Record<string, unknown> {
  id: string;
  score: number;
  source: string;
  row: number;
}

export interface LangChainReviewRetrieverInput extends BaseRetrieverInput {
  /** The worker's hybrid retriever (or any `Retriever`). */
  retriever: Retriever;
  /** k, metadata filters and collection used for every query. */
  options?: Omit<RetrieveOptions, 'signal'>;
}

/**
 * The worker's hybrid retrieval (vector + keyword, fused, relevance floor, metadata filters) as a
 * LangChain `BaseRetriever`, so it composes in LangChain chains (`invoke`, `pipe`,
 * `RunnableSequence`) like any retriever. The worker's own chat path calls `Retriever` directly;
 * this adapter is the documented way in for LangChain code.
 */
export class LangChainReviewRetriever extends BaseRetriever<ReviewDocumentMetadata> {
  lc_namespace = ['review_assistant', 'retrievers'];
  private readonly retriever: Retriever;
  private readonly options: Omit<RetrieveOptions, 'signal'>;

  constructor(fields: LangChainReviewRetrieverInput) {
    super(fields);
    this.retriever = fields.retriever;
    this.options = fields.options ?? {};
  }

  override async _getRelevantDocuments(query: string, _runManager?: CallbackManagerForRetrieverRun): Promise<Document<ReviewDocumentMetadata>[]> {
    const items = await this.retriever.retrieve(query, this.options);
    return items.map((item) => new Document({ id: item.id, pageContent: item.text, metadata: { ...item.metadata, id: item.id, score: item.score } }));
  }
}
