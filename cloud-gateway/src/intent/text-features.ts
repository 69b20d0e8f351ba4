import { FeatureCounts } from './feature-counts.js';

/**
 * Turns a text into hashed sparse features: word uni-/bi-grams and character n-grams of the
 * whole normalised text. Hashing (FNV-1a, 32 bit) needs no vocabulary at prediction time; the
 * model keeps only the rows of hashes seen in training.
 */

/** Feature extraction settings, stored in the artifact so training and serving agree. */
export interface FeatureConfig {
  /** Word n-gram orders, e.g. [1, 2]. */
  wordNgrams: number[];
  /** Smallest character n-gram. */
  charMin: number;
  /** Largest character n-gram. */
  charMax: number;
  /** Hash space is 2^hashBits. */
  hashBits: number;
  /**
   * Where character n-grams come from: the whole text (`text`, grams may span two words) or each
   * word on its own, padded with spaces (`words`, grams never cross a word boundary).
   * @default 'text'
   */
  charScope?: 'text' | 'words' | undefined;
  /**
   * The network also sees the text's pretrained word vectors: `true` mean- and max-pooled (format
   * 3), `'mean'` the mean alone (half the inputs; format 4).
   * @default false
   */
  wordVectors?: boolean | 'mean' | undefined;
}

/** Whether a network with these features reads the pooled word vectors. */
export function readsWordVectors(features: FeatureConfig): boolean {
  return features.wordVectors === true || features.wordVectors === 'mean';
}

/** How many pooled word-vector inputs the network reads: the mean's `dims`, then the max's. */
export function wordVectorInputs(features: FeatureConfig, dims: number): number {
  if (features.wordVectors === 'mean') return dims;
  return features.wordVectors === true ? 2 * dims : 0;
}

export const defaultFeatureConfig: FeatureConfig = { wordNgrams: [1, 2], charMin: 3, charMax: 5, hashBits: 22 };

/** Lower-case, unify apostrophes, drop punctuation except inner apostrophes, squeeze spaces. */
export function normalizeText(text: string): string {
  return text
    .normalize('NFKC')
    .toLowerCase()
    .replace(/[\u2018\u2019\u02bc`´]/g, "'")
    .replace(/[^\p{L}\p{N}'\s]+/gu, ' ')
    .replace(/(^|\s)'+|'+(?=\s|$)/g, '$1')
    .replace(/\s+/g, ' ')
    .trim();
}

const FNV_OFFSET = 0x811c9dc5;
const FNV_PRIME = 0x01000193;

function hashRange(seed: number, text: string, start: number, end: number): number {
  let hash = seed;
  for (let index = start; index < end; index += 1) {
    hash ^= text.charCodeAt(index);
    hash = Math.imul(hash, FNV_PRIME);
  }
  return hash >>> 0;
}

/** Distinct seeds per feature family so a word and a character gram never share a hash. */
const WORD_SEED = FNV_OFFSET;
const CHAR_SEED = hashRange(FNV_OFFSET, 'char:', 0, 5);

/** Sparse features: parallel arrays of hashed ids and sublinear term weights (1 + ln tf). */
export interface SparseFeatures {
  ids: Uint32Array;
  weights: Float32Array;
}

export function extractFeatures(text: string, config: FeatureConfig): SparseFeatures {
  const counts = countFeatures(normalizeText(text), config, new FeatureCounts());
  const ids = counts.ids.slice(0, counts.size);
  const weights = new Float32Array(counts.size);
  for (let index = 0; index < counts.size; index += 1) weights[index] = 1 + Math.log(counts.counts[index]!);
  return { ids, weights };
}

/**
 * Counts the hashed n-grams of an already normalised text into `counts` (cleared first), which
 * the scorer reuses across networks and predictions; sublinear weights are 1 + ln(count).
 */
export function countFeatures(normalized: string, config: FeatureConfig, counts: FeatureCounts): FeatureCounts {
  counts.clear();
  const mask = config.hashBits >= 32 ? 0xffffffff : (1 << config.hashBits) - 1;
  const add = (hash: number): void => counts.add((hash & mask) >>> 0);
  const words = normalized.length === 0 ? [] : normalized.split(' ');
  const padded = ['<s>', ...words, '</s>'];
  for (const order of config.wordNgrams) {
    const first = order === 1 ? 1 : 0;
    const last = order === 1 ? padded.length - 1 : padded.length;
    for (let start = first; start + order <= last; start += 1) {
      let hash = WORD_SEED ^ order;
      for (let offset = 0; offset < order; offset += 1) {
        const word = padded[start + offset]!;
        hash = hashRange(hash, word, 0, word.length);
        hash = Math.imul(hash ^ 0x20, FNV_PRIME) >>> 0;
      }
      add(hash);
    }
  }
  const pieces = config.charScope === 'words' ? words.map((word) => ` ${word} `) : [` ${normalized} `];
  for (let size = config.charMin; size <= config.charMax; size += 1) {
    const seed = Math.imul(CHAR_SEED ^ size, FNV_PRIME) >>> 0;
    for (const chars of pieces) {
      for (let start = 0; start + size <= chars.length; start += 1) add(hashRange(seed, chars, start, start + size));
    }
  }
  return counts;
}
