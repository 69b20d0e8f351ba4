import type { WordVectors } from '@review-assistant/shared';
import type { EmbeddingModel } from '../ports.js';
import { expandTerms, expandWords } from '../text/query-expansion.js';
import { bareWord, isStopWord, spelledWords, stem, termsOf } from '../text/tokenize.js';
import { loadOfflineWordVectors } from './offline-word-vectors.js';

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
 * 6. Semantic part (since `offline-hashed-ngram-wv-v2`): the smooth-inverse-frequency weighted
 *    mean of the pretrained word vectors of the text's non-stop words (GloVe-derived, 100
 *    dimensions, the packed subset in `local-worker/models/word-vectors.bin.gz`), L2-normalised
 *    and appended to the hashed part with weights √(1 − λ) and √λ, so the cosine of two texts is
 *    (1 − λ) · n-gram cosine + λ · word-vector cosine: "plant-based" now meets "vegan". The words
 *    are looked up as written, since `offline-hashed-ngram-wv-v3` (`couldn't` → could + not,
 *    `children's` → children; v2 looked up `couldnt` and `childrens`).
 * The text is split into words once (`spelledWords`); the n-grams read them without apostrophes.
 * Documents and queries are embedded the same way, except that a query also gets the diner
 * thesaurus (`text/query-expansion.ts`: "children" brings "kids" and "family"), which a bag of
 * n-grams cannot infer by itself: the n-gram part gets the related terms, the semantic part
 * (since v3) the words of the thesaurus groups of the query's terms.
 */
export interface OfflineEmbeddingOptions {
  /** Length of the hashed n-gram part. @default 1024 */
  dimensions?: number;
  /** Add thesaurus words to queries (documents are never expanded). @default true */
  expandQueries?: boolean;
  /**
   * Word vectors of the semantic part; `false` gives the n-gram-only model
   * (`offline-hashed-ngram-tf-v1`). @default the bundled subset
   */
  wordVectors?: WordVectors | false;
  /** Share λ of the word-vector cosine in the similarity. @default SEMANTIC_SHARE */
  semanticShare?: number;
  /**
   * How the word-vector part reads a text. 3: the words as written (`couldn't` → could + not,
   * `children's` → children), and for a query also the words of its thesaurus groups. 2: the
   * previous model (`offline-hashed-ngram-wv-v2`, kept for same-run comparisons): the words
   * without apostrophes (`couldnt`, `childrens`), the query alone. @default 3
   */
  semanticVersion?: 2 | 3;
}

const GENERIC_WORDS = new Set(
  ['food', 'good', 'great', 'nice', 'best', 'love', 'amazing', 'awesome', 'excellent', 'one', 'time', 'visit', 'tri', 'realli', 'definit', 'will', 'back', 'also', 'would']
    .map((word) => word),
);

const GENERIC_WEIGHT = 0.35;
const BIGRAM_WEIGHT = 0.5;
const CHARACTER_WEIGHT_PER_WORD = 0.5;
const CHARACTER_NGRAM_SIZES = [3, 4] as const;

/** The n-gram-only model (collections built with it must be re-ingested for the current one). */
export const OFFLINE_NGRAM_MODEL_ID = 'offline-hashed-ngram-tf-v1';
/** The first model with word vectors (`semanticVersion: 2`). */
export const OFFLINE_WORD_VECTOR_V2_MODEL_ID = 'offline-hashed-ngram-wv-v2';
/** The current offline model: hashed n-grams + word vectors of the words as written. */
export const OFFLINE_EMBEDDING_MODEL_ID = 'offline-hashed-ngram-wv-v3';
/** λ, tuned on data/sample/realistic-questions.json and data/sample/questions.json. */
export const SEMANTIC_SHARE = 0.25;

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
  private readonly hashedDimensions: number;
  private readonly expandQueries: boolean;
  private readonly vectors: WordVectors | undefined;
  private readonly semanticShare: number;
  private readonly semanticVersion: 2 | 3;
  private readonly rows: number[] = [];
  /** Unit vector of what all texts share (see `commonDirection`), removed from the semantic part. */
  private readonly common: Float32Array | undefined;

  constructor(options: OfflineEmbeddingOptions = {}) {
    this.hashedDimensions = options.dimensions ?? 1024;
    this.expandQueries = options.expandQueries ?? true;
    this.semanticShare = options.semanticShare ?? SEMANTIC_SHARE;
    this.semanticVersion = options.semanticVersion ?? 3;
    if (!Number.isInteger(this.hashedDimensions) || this.hashedDimensions < 16) throw new RangeError('dimensions must be an integer ≥ 16');
    if (!(this.semanticShare > 0 && this.semanticShare < 1)) throw new RangeError('semanticShare must be between 0 and 1');
    this.vectors = options.wordVectors === false ? undefined : (options.wordVectors ?? loadOfflineWordVectors());
    this.dimensions = this.hashedDimensions + (this.vectors?.dims ?? 0);
    this.common = this.vectors === undefined ? undefined : commonDirection(this.vectors);
    const base = this.vectors === undefined ? OFFLINE_NGRAM_MODEL_ID : this.semanticVersion === 3 ? OFFLINE_EMBEDDING_MODEL_ID : OFFLINE_WORD_VECTOR_V2_MODEL_ID;
    const suffix = [this.hashedDimensions === 1024 ? '' : `-${this.hashedDimensions}`, this.vectors === undefined || this.semanticShare === SEMANTIC_SHARE ? '' : `-l${this.semanticShare}`].join('');
    this.modelId = `${base}${suffix}`;
  }

  async embedDocuments(texts: string[], signal?: AbortSignal): Promise<number[][]> {
    signal?.throwIfAborted();
    return texts.map((text) => this.embed(text));
  }

  async embedQuery(text: string, signal?: AbortSignal): Promise<number[]> {
    signal?.throwIfAborted();
    const spelled = spelledWords(text);
    const bare = spelled.map(bareWord);
    if (!this.expandQueries) return this.embedWords(bare, spelled);
    const queryTerms = termsOf(bare);
    const relatedTerms = expandTerms(queryTerms);
    const ngramWords = relatedTerms.length === 0 ? bare : [...bare, ...relatedTerms];
    // the word vectors know words, not stems: they get the words of the thesaurus groups
    const vectorWords = this.semanticVersion === 3 ? [...spelled, ...expandWords(queryTerms)] : spelled;
    return this.embedWords(ngramWords, vectorWords);
  }

  /** Synchronous embedding of one text (the method described above). */
  embed(text: string): number[] {
    const spelled = spelledWords(text);
    return this.embedWords(spelled.map(bareWord), spelled);
  }

  /** Embeds words split once: `ngramWords` (no apostrophes) feed the n-grams, `vectorWords` (as written) the word vectors. */
  private embedWords(ngramWords: readonly string[], vectorWords: readonly string[]): number[] {
    const hashed = this.hashedPart(ngramWords);
    if (this.vectors === undefined) return hashed;
    const semantic = this.semanticPart(this.semanticVersion === 3 ? vectorWords : vectorWords.map(bareWord), this.vectors);
    const hashedWeight = Math.sqrt(1 - this.semanticShare);
    const semanticWeight = Math.sqrt(this.semanticShare);
    const vector = new Array<number>(this.dimensions);
    let norm = 0;
    for (let index = 0; index < hashed.length; index += 1) {
      vector[index] = hashed[index]! * hashedWeight;
      norm += vector[index]! * vector[index]!;
    }
    for (let index = 0; index < semantic.length; index += 1) {
      const value = semantic[index]! * semanticWeight;
      vector[hashed.length + index] = value;
      norm += value * value;
    }
    // one part may be empty (no known word, or only stop words): renormalise what is there
    if (norm === 0) return vector;
    const scale = 1 / Math.sqrt(norm);
    return Math.abs(scale - 1) < 1e-9 ? vector : vector.map((value) => value * scale);
  }

  /** SIF-weighted mean of the word vectors of the text's non-stop words, L2-normalised (zeros if none is known). */
  private semanticPart(textWords: readonly string[], vectors: WordVectors): Float32Array {
    const content = textWords.filter((word) => !isStopWord(bareWord(word)) && !isSingleAsciiCharacter(word));
    const pooled = vectors.pool(vectors.rowsOf(content, this.rows), new Float32Array(2 * vectors.dims));
    const mean = pooled.subarray(0, vectors.dims);
    const common = this.common!;
    let projection = 0;
    for (let index = 0; index < mean.length; index += 1) projection += mean[index]! * common[index]!;
    for (let index = 0; index < mean.length; index += 1) mean[index] = mean[index]! - projection * common[index]!;
    let norm = 0;
    for (const value of mean) norm += value * value;
    if (norm === 0) return mean;
    const scale = 1 / Math.sqrt(norm);
    for (let index = 0; index < mean.length; index += 1) mean[index] = mean[index]! * scale;
    return mean;
  }

  private hashedPart(bare: readonly string[]): number[] {
    const features = new Map<string, number>();
    const weights = new Map<string, number>();
    const add = (feature: string, weight: number): void => {
      features.set(feature, (features.get(feature) ?? 0) + 1);
      if (!weights.has(feature)) weights.set(feature, weight);
    };
    let previous: string | null = null;
    for (const word of bare) {
      if (isStopWord(word) || isSingleAsciiCharacter(word)) continue;
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
    const vector = new Array<number>(this.hashedDimensions).fill(0);
    for (const [feature, count] of features) {
      const value = (weights.get(feature) ?? 1) * (1 + Math.log(count));
      const bucket = fnv1a(feature, INDEX_SEED) % this.hashedDimensions;
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

const isSingleAsciiCharacter = (word: string): boolean => word.length === 1 && word < '\u0080';

const commonDirections = new WeakMap<WordVectors, Float32Array>();

/**
 * The direction every averaged text shares: the weighted mean of all word vectors in the table,
 * normalised. Averages of word vectors all lean towards it, so two unrelated texts would look
 * alike; removing it (as SIF removes the first principal component) leaves what sets a text apart.
 */
function commonDirection(vectors: WordVectors): Float32Array {
  const cached = commonDirections.get(vectors);
  if (cached !== undefined) return cached;
  const all = Array.from({ length: vectors.size }, (_, row) => row);
  const direction = vectors.pool(all, new Float32Array(2 * vectors.dims)).slice(0, vectors.dims);
  let norm = 0;
  for (const value of direction) norm += value * value;
  const scale = norm > 0 ? 1 / Math.sqrt(norm) : 0;
  for (let index = 0; index < direction.length; index += 1) direction[index] = direction[index]! * scale;
  commonDirections.set(vectors, direction);
  return direction;
}
