import { describe, expect, it } from 'vitest';
import { createRandom } from '@review-assistant/shared';
import { FeatureCounts } from './feature-counts.js';
import { countFeatures, normalizeText, type FeatureConfig } from './text-features.js';

const entriesOf = (counts: FeatureCounts): Array<[number, number]> => Array.from({ length: counts.size }, (_, entry) => [counts.ids[entry]!, counts.counts[entry]!]);

/** The counting the scorer used before (a Map in insertion order), kept here as the reference. */
function mapCounts(normalized: string, config: FeatureConfig): Array<[number, number]> {
  const FNV_PRIME = 0x01000193;
  const hashRange = (seed: number, text: string, start: number, end: number): number => {
    let hash = seed;
    for (let index = start; index < end; index += 1) {
      hash ^= text.charCodeAt(index);
      hash = Math.imul(hash, FNV_PRIME);
    }
    return hash >>> 0;
  };
  const WORD_SEED = 0x811c9dc5;
  const CHAR_SEED = hashRange(0x811c9dc5, 'char:', 0, 5);
  const counts = new Map<number, number>();
  const mask = config.hashBits >= 32 ? 0xffffffff : (1 << config.hashBits) - 1;
  const add = (hash: number): void => {
    const id = (hash & mask) >>> 0;
    counts.set(id, (counts.get(id) ?? 0) + 1);
  };
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
  return [...counts];
}

const vocabulary = ['i', 'need', 'a', 'table', 'for', 'two', 'tonight', 'what', 'is', 'the', 'best', 'pasta', 'near', 'me', "don't", 'café', 'señor', '東京', 'sushi', 'how', 'do', 'say', 'hello', 'in', 'french', 'book', 'flight', 'to', 'paris', 'ok'];
const punctuation = ['', '', '', ',', '!', '?', '’s', ' - ', '"', '  '];

/** A few hundred texts: short and long, repeated words, unicode, punctuation, empty. */
function sampleTexts(count: number): string[] {
  const next = createRandom(42);
  const texts = ['', '   ', 'a', 'ok ok', 'the the the the the the', 'Ｈello,  WORLD’s  “best”!!', 'word '.repeat(800), 'x'.repeat(4000)];
  while (texts.length < count) {
    const length = 1 + Math.floor(next() * (next() < 0.1 ? 120 : 14));
    const words: string[] = [];
    for (let index = 0; index < length; index += 1) words.push(vocabulary[Math.floor(next() * vocabulary.length)]! + punctuation[Math.floor(next() * punctuation.length)]!);
    texts.push(next() < 0.3 ? words.join(' ').toUpperCase() : words.join(' '));
  }
  return texts;
}

const configs: FeatureConfig[] = [
  { wordNgrams: [1, 2], charMin: 3, charMax: 5, hashBits: 22 },
  { wordNgrams: [1, 2, 3], charMin: 2, charMax: 4, hashBits: 18, charScope: 'words' },
  { wordNgrams: [1], charMin: 3, charMax: 6, hashBits: 32 },
  // a tiny hash space: many grams share an id, so counts above 1 and probing are exercised
  { wordNgrams: [1, 2], charMin: 1, charMax: 3, hashBits: 6 },
];

describe('FeatureCounts', () => {
  it('counts like a Map, in first-seen order, across growth and reuse', () => {
    const next = createRandom(7);
    const counts = new FeatureCounts(16);
    for (let round = 0; round < 20; round += 1) {
      const reference = new Map<number, number>();
      counts.clear();
      const adds = Math.floor(next() * 3000);
      for (let index = 0; index < adds; index += 1) {
        // ids up to 2^32 - 1, with repeats
        const id = next() < 0.5 ? Math.floor(next() * 64) : Math.floor(next() * 4294967296);
        reference.set(id, (reference.get(id) ?? 0) + 1);
        counts.add(id);
      }
      expect(entriesOf(counts)).toEqual([...reference]);
    }
  });

  it('gives the same ids, counts and order as the Map-based counting on a few hundred texts', () => {
    const counts = new FeatureCounts();
    const texts = sampleTexts(400);
    for (const config of configs) {
      for (const text of texts) {
        const normalized = normalizeText(text);
        expect(entriesOf(countFeatures(normalized, config, counts))).toEqual(mapCounts(normalized, config));
      }
    }
  });
});
