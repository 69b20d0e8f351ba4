import type { EmbeddingModel } from '../ports.js';
import { expandTerms } from '../text/query-expansion.js';
import { isStopWord, stem, terms, words } from '../text/tokenize.js';

/**
 * Offline embedding model: in-process, deterministic, no weights to download.
 *
 * Method ("hashed n-gram TF", the feature-hashing trick of Weinberger et al., 2009, as in
 * scikit-learn's HashingVectorizer):
 * 1. Tokenise with `text/tokenize.ts` (NFKC, lower case, stop words removed, Porter stems).
 * 2. Features: each stemmed word (`w:`), each pair of adjacent stemmed words (`b:`, weight 0.5),
 *    and the character 3- and 4-grams of every non-stop surface word with boundary marks
 *    (`c:`, together weighing 0.5 per word occurrence), which lets `vegan`/`vegans`/`veganism`
 *    and misspellings share dimensions.
 * 3. Sublinear term frequency: a feature seen `n` times weighs `weight · (1 + ln n)`.
 * 4. Generic review words ("good", "food", "nice", ...) get a fixed prior weight of 0.35, a small
 *    stand-in for IDF that keeps the model stateless (no corpus statistics to store or drift).
 * 5. Each feature name is hashed (FNV-1a, 32 bit) to one of `dimensions` buckets with a sign taken
 *    from a second hash, so collisions cancel in expectation; the vector is L2-normalised, so
 *    cosine similarity is the dot product.
 * Documents and queries are embedded the same way, except that a query also gets the related
 * words of its words from the diner thesaurus (`text/query-expansion.ts`: "children" brings
 * "kids" and "family"), which a bag of n-grams cannot infer by itself.
 */
export interface OfflineEmbeddingOptions {
  /** Vector length. @default 1024 */
  dimensions?: number;
  /** Add thesaurus words to queries (documents are never expanded). @default true */
  expandQueries?: boolean;
}

const GENERIC_WORDS = new Set(
  ['food', 'good', 'great', 'nice', 'best', 'love', 'amazing', 'awesome', 'excellent', 'one', 'time', 'visit', 'tri', 'realli', 'definit', 'will', 'back', 'also', 'would']
    .map((word) => word),
);

const GENERIC_WEIGHT = 0.35;
const BIGRAM_WEIGHT = 0.5;
const CHARACTER_WEIGHT_PER_WORD = 0.5;
const CHARACTER_NGRAM_SIZES = [3, 4] as const;

export const OFFLINE_EMBEDDING_MODEL_ID = 'offline-hashed-ngram-tf-v1';

function fnv1a(text: string, seed: number): number {
  let hash = seed >>> 0;
  for (let index = 0; index < text.length; index += 1) {
    hash ^= text.charCodeAt(index);
    hash = Math.imul(hash, 0x01000193);
  }
  return hash >>> 0;
}

const INDEX_SEED = 0x811c9dc5;
const SIGN_SEED = 0x9747b28c;

export class OfflineEmbeddingModel implements EmbeddingModel {
  readonly provider = 'offline';
  readonly modelId: string;
  readonly dimensions: number;
  private readonly expandQueries: boolean;

  constructor(options: OfflineEmbeddingOptions = {}) {
    this.dimensions = options.dimensions ?? 1024;
    this.expandQueries = options.expandQueries ?? true;
    if (!Number.isInteger(this.dimensions) || this.dimensions < 16) throw new RangeError('dimensions must be an integer ≥ 16');
    this.modelId = this.dimensions === 1024 ? OFFLINE_EMBEDDING_MODEL_ID : `${OFFLINE_EMBEDDING_MODEL_ID}-${this.dimensions}`;
  }

  async embedDocuments(texts: string[], signal?: AbortSignal): Promise<number[][]> {
    signal?.throwIfAborted();
    return texts.map((text) => this.embed(text));
  }

  async embedQuery(text: string, signal?: AbortSignal): Promise<number[]> {
    signal?.throwIfAborted();
    if (!this.expandQueries) return this.embed(text);
    const related = expandTerms(terms(text));
    return this.embed(related.length === 0 ? text : `${text}\n${related.join(' ')}`);
  }

  /** Synchronous embedding of one text (the method described above). */
  embed(text: string): number[] {
    const features = new Map<string, number>();
    const weights = new Map<string, number>();
    const add = (feature: string, weight: number): void => {
      features.set(feature, (features.get(feature) ?? 0) + 1);
      if (!weights.has(feature)) weights.set(feature, weight);
    };
    let previous: string | null = null;
    for (const word of words(text)) {
      if (isStopWord(word) || (word.length === 1 && word < '\u0080')) {
        continue;
      }
      const term = stem(word);
      const generic = GENERIC_WORDS.has(term);
      add(`w:${term}`, generic ? GENERIC_WEIGHT : 1);
      if (previous !== null) add(`b:${previous} ${term}`, BIGRAM_WEIGHT);
      previous = term;
      if (generic) continue;
      const marked = `<${word}>`;
      const grams: string[] = [];
      for (const size of CHARACTER_NGRAM_SIZES) {
        for (let start = 0; start + size <= marked.length; start += 1) grams.push(marked.slice(start, start + size));
      }
      const gramWeight = grams.length === 0 ? 0 : CHARACTER_WEIGHT_PER_WORD / Math.sqrt(grams.length);
      for (const gram of grams) add(`c:${gram}`, gramWeight);
    }
    const vector = new Array<number>(this.dimensions).fill(0);
    for (const [feature, count] of features) {
      const value = (weights.get(feature) ?? 1) * (1 + Math.log(count));
      const bucket = fnv1a(feature, INDEX_SEED) % this.dimensions;
      const sign = (fnv1a(feature, SIGN_SEED) & 1) === 0 ? 1 : -1;
      vector[bucket] = (vector[bucket] ?? 0) + sign * value;
    }
    let norm = 0;
    for (const value of vector) norm += value * value;
    norm = Math.sqrt(norm);
    if (norm === 0) return vector;
    return vector.map((value) => value / norm);
  }
}
