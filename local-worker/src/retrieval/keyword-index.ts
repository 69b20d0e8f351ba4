import type { ReviewFilters } from '@review-assistant/shared';
import type { ReviewRecord } from '../ports.js';
import { searchableText } from '../text/searchable-text.js';
import { terms } from '../text/tokenize.js';
import { filterPredicate, hasFilters } from '../vector-store/review-filters.js';

export interface KeywordIndexOptions {
  /** BM25 term-frequency saturation. @default 1.2 */
  k1?: number;
  /** BM25 length normalisation. @default 0.75 */
  b?: number;
}

export interface KeywordHit {
  record: ReviewRecord;
  /** BM25 score (unbounded, > 0). */
  score: number;
  /** Share of the query's IDF mass this record contains, in [0, 1]. */
  coverage: number;
}

/** Index of `value` in the ascending array, or -1. */
function binarySearch(values: number[], value: number): number {
  let low = 0;
  let high = values.length - 1;
  while (low <= high) {
    const middle = (low + high) >>> 1;
    const found = values[middle]!;
    if (found === value) return middle;
    if (found < value) low = middle + 1;
    else high = middle - 1;
  }
  return -1;
}

interface Posting {
  documents: number[];
  frequencies: number[];
}

/**
 * In-memory Okapi BM25 index (Robertson & Zaragoza, "The Probabilistic Relevance Framework:
 * BM25 and Beyond", 2009) over records' searchable text, with the same tokenisation as the offline
 * embedder (Unicode-aware, stop words removed, Porter stems).
 *
 * IDF is the non-negative variant `ln(1 + (N − df + 0.5) / (df + 0.5))` (as in Lucene), so very
 * common words never score negative. `coverage` is the share of the query's total IDF that a
 * record matches, where a query word absent from the corpus counts with the IDF of df = 0: a
 * question about car brakes barely "covers" a review that only mentions a car.
 */
export class KeywordIndex {
  readonly size: number;
  private readonly records: ReviewRecord[];
  private readonly positions = new Map<string, number>();
  private readonly lengths: Float64Array;
  private readonly averageLength: number;
  private readonly postings = new Map<string, Posting>();
  private readonly documentTerms: Set<string>[];
  private readonly k1: number;
  private readonly b: number;
  /** Records passing recent filters (a mask and the ids), most recently used last. */
  private readonly filterCache = new Map<string, { mask: Uint8Array; ids: string[] }>();

  constructor(records: ReviewRecord[], options: KeywordIndexOptions = {}) {
    this.k1 = options.k1 ?? 1.2;
    this.b = options.b ?? 0.75;
    this.records = records;
    this.size = records.length;
    this.lengths = new Float64Array(records.length);
    this.documentTerms = [];
    let total = 0;
    records.forEach((record, document) => {
      this.positions.set(record.id, document);
      const tokens = terms(searchableText(record.text, record.metadata));
      this.lengths[document] = tokens.length;
      total += tokens.length;
      const counts = new Map<string, number>();
      for (const token of tokens) counts.set(token, (counts.get(token) ?? 0) + 1);
      this.documentTerms.push(new Set(counts.keys()));
      for (const [term, frequency] of counts) {
        let posting = this.postings.get(term);
        if (!posting) {
          posting = { documents: [], frequencies: [] };
          this.postings.set(term, posting);
        }
        posting.documents.push(document);
        posting.frequencies.push(frequency);
      }
    });
    this.averageLength = records.length === 0 ? 0 : total / records.length;
  }

  /** The record with this id, if indexed. */
  record(id: string): ReviewRecord | undefined {
    const document = this.positions.get(id);
    return document === undefined ? undefined : this.records[document];
  }

  /** Records passing the filters (null: no filters), computed once per distinct filter set and cached. */
  private allowed(filters: ReviewFilters | undefined): { mask: Uint8Array; ids: string[] } | null {
    if (!hasFilters(filters)) return null;
    const key = JSON.stringify(filters, Object.keys(filters ?? {}).sort());
    let entry = this.filterCache.get(key);
    if (entry) {
      this.filterCache.delete(key);
    } else {
      const passes = filterPredicate(filters);
      const mask = new Uint8Array(this.size);
      const ids: string[] = [];
      this.records.forEach((record, document) => {
        if (passes(record.metadata)) {
          mask[document] = 1;
          ids.push(record.id);
        }
      });
      entry = { mask, ids };
      if (this.filterCache.size >= 32) this.filterCache.delete(this.filterCache.keys().next().value!);
    }
    this.filterCache.set(key, entry);
    return entry;
  }

  /** Ids of the records passing the filters; null when there are no filters (every record passes). */
  idsMatching(filters: ReviewFilters | undefined): string[] | null {
    return this.allowed(filters)?.ids ?? null;
  }

  /** Inverse document frequency of an index term (terms absent from the corpus get df = 0). */
  idf(term: string): number {
    const frequency = this.postings.get(term)?.documents.length ?? 0;
    return Math.log(1 + (this.size - frequency + 0.5) / (frequency + 0.5));
  }

  /** Distinct index terms of a query. */
  queryTerms(query: string): string[] {
    return [...new Set(terms(query))];
  }

  /** Share of the query's IDF mass made of words the corpus contains at all, and how many such words. */
  corpusCoverage(queryTerms: string[]): { coverage: number; knownTerms: number } {
    let known = 0;
    let total = 0;
    let knownTerms = 0;
    for (const term of queryTerms) {
      const idf = this.idf(term);
      total += idf;
      if (this.postings.has(term)) {
        known += idf;
        knownTerms += 1;
      }
    }
    return { coverage: total === 0 ? 0 : known / total, knownTerms };
  }

  /** Share of the query's IDF mass contained in the record with this id (0 for unknown ids). */
  coverage(queryTerms: string[], id: string): number {
    const document = this.positions.get(id);
    if (document === undefined || queryTerms.length === 0) return 0;
    const present = this.documentTerms[document]!;
    let matched = 0;
    let total = 0;
    for (const term of queryTerms) {
      const idf = this.idf(term);
      total += idf;
      if (present.has(term)) matched += idf;
    }
    return total === 0 ? 0 : matched / total;
  }

  /** BM25 score of the record with this id for the query terms (0 for unknown ids). */
  scoreOf(queryTerms: string[], id: string, extraTerms: string[] = [], extraWeight = 0.4): number {
    const document = this.positions.get(id);
    if (document === undefined) return 0;
    let score = 0;
    for (const [term, weight] of [...queryTerms.map((term): [string, number] => [term, 1]), ...extraTerms.map((term): [string, number] => [term, extraWeight])]) {
      const posting = this.postings.get(term);
      if (!posting) continue;
      const at = binarySearch(posting.documents, document);
      if (at < 0) continue;
      const frequency = posting.frequencies[at]!;
      const normaliser = this.k1 * (1 - this.b + (this.b * this.lengths[document]!) / (this.averageLength || 1));
      score += (weight * this.idf(term) * frequency * (this.k1 + 1)) / (frequency + normaliser);
    }
    return score;
  }

  /** Best `k` records for the query among those passing `filters`, highest BM25 first. */
  search(
    query: string,
    options: {
      k: number;
      filters?: ReviewFilters | undefined;
      /** Related terms (e.g. from `expandTerms`) scored with `extraWeight`; not part of coverage. */
      extraTerms?: string[] | undefined;
      /** @default 0.4 */
      extraWeight?: number | undefined;
    },
  ): KeywordHit[] {
    const queryTerms = this.queryTerms(query);
    if (queryTerms.length === 0 || this.size === 0) return [];
    const extraWeight = options.extraWeight ?? 0.4;
    const weighted: [string, number][] = [...queryTerms.map((term): [string, number] => [term, 1]), ...(options.extraTerms ?? []).map((term): [string, number] => [term, extraWeight])];
    const scores = new Float64Array(this.size);
    const matchedIdf = new Float64Array(this.size);
    let totalIdf = 0;
    const touched: number[] = [];
    for (const [term, weight] of weighted) {
      const idf = this.idf(term);
      const own = weight === 1;
      if (own) totalIdf += idf;
      const posting = this.postings.get(term);
      if (!posting) continue;
      for (let index = 0; index < posting.documents.length; index += 1) {
        const document = posting.documents[index]!;
        const frequency = posting.frequencies[index]!;
        const normaliser = this.k1 * (1 - this.b + (this.b * this.lengths[document]!) / (this.averageLength || 1));
        if (scores[document] === 0) touched.push(document);
        scores[document] = scores[document]! + (weight * idf * frequency * (this.k1 + 1)) / (frequency + normaliser);
        if (own) matchedIdf[document] = matchedIdf[document]! + idf;
      }
    }
    const allowed = this.allowed(options.filters)?.mask;
    const hits: KeywordHit[] = [];
    for (const document of touched) {
      if (allowed && allowed[document] === 0) continue;
      const record = this.records[document]!;
      hits.push({ record, score: scores[document]!, coverage: totalIdf === 0 ? 0 : matchedIdf[document]! / totalIdf });
    }
    hits.sort((left, right) => right.score - left.score || (left.record.id < right.record.id ? -1 : 1));
    return hits.slice(0, options.k);
  }
}
