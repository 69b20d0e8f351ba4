import { describe, expect, it } from 'vitest';
import { vectorWords, WordVectors, type WordVectorTable } from './word-vectors.js';

const table: WordVectorTable = {
  dims: 2,
  words: ['do', 'not', 'what', 'food'],
  values: Int8Array.from([127, 0, 0, 127, -127, 0, 64, 64]),
  scales: Float32Array.from([0.01, 0.01, 0.01, 0.02]),
};

describe('vectorWords', () => {
  it('splits contractions the way GloVe tokenised its corpus', () => {
    expect(vectorWords("don't")).toEqual(['do', 'not']);
    expect(vectorWords("can't")).toEqual(['can', 'not']);
    expect(vectorWords("what's")).toEqual(['what']);
    expect(vectorWords("we're")).toEqual(['we', 'are']);
    expect(vectorWords('food')).toEqual(['food']);
  });
});

describe('WordVectors', () => {
  const vectors = new WordVectors(table);

  it('finds known words, contraction parts, and skips unknown words', () => {
    expect(vectors.rowsOf(['food', "don't", 'unknownword', "what's"])).toEqual([3, 0, 1, 2]);
    expect(vectors.rowOf('nope')).toBe(-1);
  });

  it('pools the mean first and the element-wise max second', () => {
    const pooled = vectors.pool([0, 3], new Float32Array(4));
    // row 0 = (1.27, 0), row 3 = (1.28, 1.28)
    expect([...pooled].map((value) => Number(value.toFixed(3)))).toEqual([1.275, 0.64, 1.28, 1.28]);
    expect([...vectors.pool([], new Float32Array(4))]).toEqual([0, 0, 0, 0]);
  });

  it('weights the mean by the word weights when the table has them', () => {
    const pooled = new WordVectors({ ...table, weights: Float32Array.from([1, 3, 1, 1]) }).pool([1, 2], new Float32Array(4));
    // (3 × (0, 1.27) + 1 × (-1.27, 0)) / 4, then the max of each dimension
    [-0.3175, 0.9525, 0, 1.27].forEach((expected, index) => expect(pooled[index]).toBeCloseTo(expected, 4));
  });

  it('refuses a table whose arrays do not match its words', () => {
    expect(() => new WordVectors({ ...table, scales: new Float32Array(3) })).toThrow(/4 words, 8 values, 3 scales/);
    expect(() => new WordVectors({ ...table, weights: new Float32Array(2) })).toThrow(/2 weights/);
  });
});
