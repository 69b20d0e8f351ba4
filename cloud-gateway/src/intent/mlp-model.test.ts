import { describe, expect, it } from 'vitest';
import { topIndices } from './artifact-classifier.js';
import { FeatureRowIndex } from './mlp-model.js';
import { createRandom } from '@review-assistant/shared';

describe('FeatureRowIndex', () => {
  it('finds the row of every known id and -1 for unknown ones', () => {
    const random = createRandom(3);
    const ids = new Set<number>();
    while (ids.size < 5000) ids.add(Math.floor(random() * 2 ** 22));
    const sorted = Uint32Array.from(ids).sort();
    const index = new FeatureRowIndex(sorted);
    sorted.forEach((id, row) => expect(index.rowOf(id)).toBe(row));
    let unknown = 0;
    for (let id = 0; id < 20000; id += 1) {
      if (ids.has(id)) continue;
      expect(index.rowOf(id)).toBe(-1);
      unknown += 1;
    }
    expect(unknown).toBeGreaterThan(19000);
    expect(new FeatureRowIndex(new Uint32Array(0)).rowOf(7)).toBe(-1);
  });
});

describe('topIndices', () => {
  it('matches a full sort, largest first, lower index first on ties', () => {
    const random = createRandom(5);
    for (let trial = 0; trial < 200; trial += 1) {
      // few distinct values, so ties are common
      const values = Float32Array.from({ length: 1 + Math.floor(random() * 160) }, () => Math.floor(random() * 20) / 20);
      const count = 1 + Math.floor(random() * 8);
      const expected = Array.from(values.keys())
        .sort((left, right) => values[right]! - values[left]! || left - right)
        .slice(0, count);
      expect(topIndices(values, count)).toEqual(expected);
    }
  });
});
