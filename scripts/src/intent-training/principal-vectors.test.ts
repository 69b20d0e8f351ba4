import { describe, expect, it } from 'vitest';
import { createRandom } from '@review-assistant/shared';
import { principalComponents } from './principal-vectors.js';
import type { SourceVectors } from '../word-vectors/wink-vectors.js';

/** 400 random 6-d vectors spread mostly along dimension 2 (wide), then 4 (narrower), little elsewhere. */
function sourceVectors(): SourceVectors {
  const random = createRandom(9);
  const vectors = new Map<string, number[]>();
  for (let index = 0; index < 400; index += 1) {
    const vector = Array.from({ length: 6 }, () => (random() - 0.5) * 0.1);
    vector[2] = (random() - 0.5) * 6;
    vector[4] = (random() - 0.5) * 3;
    vectors.set(`w${index}`, vector);
  }
  vectors.set('along-2', [0, 0, 1, 0, 0, 0]);
  vectors.set('along-4', [0, 0, 0, 0, -1, 0]);
  return { source: { name: 'test', licence: 'test', url: 'none' }, dims: 6, words: [...vectors.keys()], vectorOf: (word) => vectors.get(word) };
}

describe('principalComponents', () => {
  const source = sourceVectors();
  const words = source.words.filter((word) => word.startsWith('w'));

  it('projects every vector on the directions of largest variance, largest first', () => {
    const projected = principalComponents(source, words, 2);
    expect(projected.dims).toBe(2);
    expect(projected.words).toBe(source.words);
    const first = projected.vectorOf('along-2')!;
    const second = projected.vectorOf('along-4')!;
    // the first component is dimension 2, the second dimension 4 (sign: largest coefficient positive)
    expect(Math.abs(first[0]!)).toBeGreaterThan(0.9);
    expect(Math.abs(first[1]!)).toBeLessThan(0.2);
    expect(Math.abs(second[1]!)).toBeGreaterThan(0.9);
    expect(Math.abs(second[0]!)).toBeLessThan(0.2);
    expect(first[0]).toBeGreaterThan(0);
    expect(second[1]).toBeLessThan(0);
    expect(projected.vectorOf('unknown')).toBeUndefined();
  });

  it('centres the projections on the word set', () => {
    const projected = principalComponents(source, words, 3);
    const mean = [0, 0, 0];
    for (const word of words) Array.from(projected.vectorOf(word)!).forEach((value, dim) => (mean[dim] = mean[dim]! + value / words.length));
    for (const value of mean) expect(Math.abs(value)).toBeLessThan(1e-9);
  });

  it('is deterministic and refuses impossible sizes', () => {
    expect(principalComponents(source, words, 2).vectorOf('w7')).toEqual(principalComponents(source, words, 2).vectorOf('w7'));
    expect(() => principalComponents(source, words, 7)).toThrow(RangeError);
    expect(() => principalComponents(source, words.slice(0, 5), 2)).toThrow(/too few/);
  });
});
