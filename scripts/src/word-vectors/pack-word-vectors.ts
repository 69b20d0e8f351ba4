/** Packs the subset of word vectors a model needs: unit length, int8 with a scale per word. */
import { vectorWords, type WordVectorTable } from '@review-assistant/shared';
import type { SourceVectors } from './wink-vectors.js';

export interface PackOptions {
  /** Words the model must know (its training vocabulary); unknown ones are skipped. */
  required: Iterable<string>;
  /** Also keep this many of the most frequent source words (for texts never seen in training). */
  frequent: number;
  /** Source words to leave out of the frequent list (e.g. punctuation tokens). @default non-words */
  keepFrequent?: (word: string) => boolean;
}

/** Smooth-inverse-frequency constant (Arora et al. 2017 use 1e-3 to 1e-4). */
const SIF_A = 1e-3;

/**
 * a / (a + p(word)), with p estimated from the word's frequency rank by Zipf's law
 * (p(rank) = 1 / (rank × H), H the harmonic number of the vocabulary size): "the" ≈ 0.01,
 * rank 100 ≈ 0.6, rank 1,000 ≈ 0.9.
 */
export function sifWeight(rank: number, vocabularySize: number): number {
  const harmonic = Math.log(vocabularySize) + 0.5772;
  const probability = 1 / ((rank + 1) * harmonic);
  return SIF_A / (SIF_A + probability);
}

const isWord = (word: string): boolean => /^[\p{L}\p{N}][\p{L}\p{N}'-]*$/u.test(word);

/** Words first in the order required → frequent, each once; rows follow that order. */
export function packWordVectors(source: SourceVectors, options: PackOptions): WordVectorTable {
  const chosen = new Set<string>();
  const consider = (word: string) => {
    if (chosen.has(word)) return;
    if (source.vectorOf(word) !== undefined) chosen.add(word);
  };
  for (const word of options.required) for (const part of vectorWords(word)) consider(part);
  const keep = options.keepFrequent ?? isWord;
  let added = 0;
  for (const word of source.words) {
    if (added >= options.frequent) break;
    if (!keep(word) || chosen.has(word)) continue;
    consider(word);
    if (chosen.has(word)) added += 1;
  }
  const words = [...chosen];
  const dims = source.dims;
  const values = new Int8Array(words.length * dims);
  const scales = new Float32Array(words.length);
  const rankOf = new Map(source.words.map((word, rank) => [word, rank]));
  const weights = Float32Array.from(words, (word) => sifWeight(rankOf.get(word) ?? source.words.length, source.words.length));
  words.forEach((word, row) => {
    const vector = source.vectorOf(word)!;
    let norm = 0;
    for (let dim = 0; dim < dims; dim += 1) norm += vector[dim]! * vector[dim]!;
    norm = Math.sqrt(norm) || 1;
    let largest = 0;
    for (let dim = 0; dim < dims; dim += 1) largest = Math.max(largest, Math.abs(vector[dim]! / norm));
    const scale = largest === 0 ? 1 : largest / 127;
    scales[row] = scale;
    for (let dim = 0; dim < dims; dim += 1) values[row * dims + dim] = Math.round(vector[dim]! / norm / scale);
  });
  return { dims, words, values, scales, weights };
}
