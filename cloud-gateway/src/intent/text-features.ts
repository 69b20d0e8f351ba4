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

/**
 * Lower-case, unify apostrophes, drop punctuation except inner apostrophes, squeeze spaces. A text
 * of ASCII characters alone (most messages) takes a single pass that gives the same string as the
 * general path (`normalizeUnicode`) without its NFKC pass and four regular-expression passes.
 */
export function normalizeText(text: string): string {
  for (let index = 0; index < text.length; index += 1) if (text.charCodeAt(index) >= 0x80) return normalizeUnicode(text);
  return normalizeAscii(text);
}

/** The normalisation of any text: NFKC, lower case, then the regular expressions. */
export function normalizeUnicode(text: string): string {
  return text
    .normalize('NFKC')
    .toLowerCase()
    .replace(/[\u2018\u2019\u02bc`´]/g, "'")
    .replace(/[^\p{L}\p{N}'\s]+/gu, ' ')
    .replace(/(^|\s)'+|'+(?=\s|$)/g, '$1')
    .replace(/\s+/g, ' ')
    .trim();
}

const APOSTROPHE = 0x27;
const BACKTICK = 0x60;

/** An ASCII letter or digit (what `\p{L}` and `\p{N}` match below 0x80). */
function isWordChar(code: number): boolean {
  return (code >= 0x61 && code <= 0x7a) || (code >= 0x41 && code <= 0x5a) || (code >= 0x30 && code <= 0x39);
}

/** The output of `normalizeAscii`, reused (it grows for a longer text). */
let asciiOutput = Buffer.alloc(256);

/**
 * `normalizeUnicode` for a text of ASCII characters: NFKC leaves ASCII as it is and lower case is
 * A–Z → a–z; every other character but letters, digits and apostrophes (` is one) is a space,
 * punctuation included. A run of apostrophes is dropped when a space or the text's start comes
 * before it or a space or the end after it, kept otherwise; runs of spaces become one, none at
 * either end.
 */
function normalizeAscii(text: string): string {
  if (asciiOutput.length < text.length) asciiOutput = Buffer.alloc(text.length * 2);
  const output = asciiOutput;
  let length = 0;
  let space = false;
  let index = 0;
  while (index < text.length) {
    const code = text.charCodeAt(index);
    if (isWordChar(code)) {
      if (space && length > 0) output[length++] = 0x20;
      space = false;
      output[length++] = code >= 0x41 && code <= 0x5a ? code + 0x20 : code;
      index += 1;
    } else if (code === APOSTROPHE || code === BACKTICK) {
      let end = index + 1;
      while (end < text.length && (text.charCodeAt(end) === APOSTROPHE || text.charCodeAt(end) === BACKTICK)) end += 1;
      // the characters either side are letters, digits or spaces: a run is inner when both are letters or digits
      const inner = index > 0 && end < text.length && isWordChar(text.charCodeAt(index - 1)) && isWordChar(text.charCodeAt(end));
      if (inner) for (let apostrophe = index; apostrophe < end; apostrophe += 1) output[length++] = APOSTROPHE;
      index = end;
    } else {
      space = true;
      index += 1;
    }
  }
  return output.toString('latin1', 0, length);
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

/** The pads the word n-grams see before the first word and after the last. */
const START = '<s>';
const END = '</s>';

/**
 * Counts the hashed n-grams of an already normalised text into `counts` (cleared first), which
 * the scorer reuses across networks and predictions; sublinear weights are 1 + ln(count).
 *
 * Straight from the text, without splitting it: a normalised text is its words joined by single
 * spaces, so a word is a range of the text, and the character pieces (` text ` or each ` word `)
 * are ranges of the text with a space on either side. The grams, their hashes and their order are
 * those of the words and pieces as strings.
 */
export function countFeatures(normalized: string, config: FeatureConfig, counts: FeatureCounts): FeatureCounts {
  counts.clear();
  const mask = config.hashBits >= 32 ? 0xffffffff : (1 << config.hashBits) - 1;
  const length = normalized.length;
  // word w (1-based; 0 and words + 1 are the pads) spans [starts[w], ends[w]) of the text
  const words = length === 0 ? 0 : wordRanges(normalized);
  const { starts, ends } = ranges;
  const padded = words + 2;
  for (const order of config.wordNgrams) {
    const first = order === 1 ? 1 : 0;
    const last = order === 1 ? padded - 1 : padded;
    for (let start = first; start + order <= last; start += 1) {
      let hash = WORD_SEED ^ order;
      for (let offset = 0; offset < order; offset += 1) {
        const word = start + offset;
        if (word === 0) hash = hashRange(hash, START, 0, START.length);
        else if (word === padded - 1) hash = hashRange(hash, END, 0, END.length);
        else hash = hashRange(hash, normalized, starts[word]!, ends[word]!);
        hash = Math.imul(hash ^ 0x20, FNV_PRIME) >>> 0;
      }
      counts.add((hash & mask) >>> 0);
    }
  }
  for (let size = config.charMin; size <= config.charMax; size += 1) {
    const seed = Math.imul(CHAR_SEED ^ size, FNV_PRIME) >>> 0;
    if (config.charScope === 'words') {
      for (let word = 1; word <= words; word += 1) addPieceGrams(counts, mask, seed, size, normalized, starts[word]!, ends[word]!);
    } else {
      addPieceGrams(counts, mask, seed, size, normalized, 0, length);
    }
  }
  return counts;
}

/** Word ranges of the text being counted, reused (they grow for a longer text). */
const ranges = { starts: new Int32Array(64), ends: new Int32Array(64) };

/** Fills `ranges` with the words of a non-empty normalised text (1-based); returns their number. */
function wordRanges(normalized: string): number {
  let word = 1;
  let start = 0;
  for (let index = 0; index <= normalized.length; index += 1) {
    if (index < normalized.length && normalized.charCodeAt(index) !== SPACE) continue;
    if (word + 1 >= ranges.starts.length) {
      const starts = new Int32Array(ranges.starts.length * 2);
      const ends = new Int32Array(ranges.starts.length * 2);
      starts.set(ranges.starts);
      ends.set(ranges.ends);
      ranges.starts = starts;
      ranges.ends = ends;
    }
    ranges.starts[word] = start;
    ranges.ends[word] = index;
    word += 1;
    start = index + 1;
  }
  return word - 1;
}

const SPACE = 0x20;

/**
 * Counts the `size`-character grams of the piece ` text[from, to) ` (the range with a space on
 * either side): character i of the piece is a space at either end, text[from + i - 1] inside.
 */
function addPieceGrams(counts: FeatureCounts, mask: number, seed: number, size: number, text: string, from: number, to: number): void {
  const pieceLength = to - from + 2;
  for (let start = 0; start + size <= pieceLength; start += 1) {
    let hash = seed;
    for (let index = start; index < start + size; index += 1) {
      hash ^= index === 0 || index === pieceLength - 1 ? SPACE : text.charCodeAt(from + index - 1);
      hash = Math.imul(hash, FNV_PRIME);
    }
    counts.add(((hash >>> 0) & mask) >>> 0);
  }
}
