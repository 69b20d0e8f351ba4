import { describe, expect, it } from 'vitest';
import { WordVectors } from '@review-assistant/shared';
import { packWordVectors, sifWeight } from './pack-word-vectors.js';
import { parseWinkVectors } from './wink-vectors.js';

// the package's layout: each row is the vector, then its L2 norm, then its index
const wink = {
  precision: 8,
  l2NormIndex: 3,
  wordIndex: 4,
  size: 6,
  dimensions: 3,
  words: ['the', ',', 'food', 'do', 'not', 'vegan'],
  vectors: {
    the: [1, 0, 0, 1, 0],
    ',': [0, 1, 0, 1, 1],
    food: [0, 3, 4, 5, 2],
    do: [2, 0, 0, 2, 3],
    not: [0, 0, -1, 1, 4],
    vegan: [0, 6, 8, 10, 5],
  },
  unkVector: [0, 0, 0, 0, -1],
};

describe('word vector packing', () => {
  const source = parseWinkVectors(wink, '1.1.0');

  it('reads the package layout without the norm and index columns', () => {
    expect(source.dims).toBe(3);
    expect(Array.from(source.vectorOf('food')!)).toEqual([0, 3, 4]);
    expect(source.vectorOf('toString')).toBeUndefined();
    expect(source.source.licence).toMatch(/Public Domain Dedication and License/);
  });

  it('keeps the required words (contractions split) and then the most frequent real words', () => {
    const table = packWordVectors(source, { required: ['vegan', "don't", 'unknownword'], frequent: 2 });
    // required first: vegan, do, not; then the two most frequent words that are words (not ",")
    expect(table.words).toEqual(['vegan', 'do', 'not', 'the', 'food']);
  });

  it('weights frequent words down (smooth inverse frequency from the frequency rank)', () => {
    const table = packWordVectors(source, { required: ['vegan'], frequent: 1 });
    expect(table.words).toEqual(['vegan', 'the']);
    expect(table.weights![1]).toBeLessThan(table.weights![0]!);
    expect(sifWeight(0, 341_479)).toBeLessThan(0.02);
    expect(sifWeight(999, 341_479)).toBeGreaterThan(0.9);
  });

  it('stores unit-length vectors as int8 with one scale per word', () => {
    const table = packWordVectors(source, { required: ['food'], frequent: 0 });
    expect(table.words).toEqual(['food']);
    expect(Array.from(table.values)).toEqual([0, 95, 127]);
    const vectors = new WordVectors(table);
    const pooled = vectors.pool([0], new Float32Array(6));
    expect(pooled[1]).toBeCloseTo(0.6, 2);
    expect(pooled[2]).toBeCloseTo(0.8, 2);
  });
});
