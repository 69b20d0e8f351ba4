import { describe, expect, it } from 'vitest';
import { topIndices } from './artifact-classifier.js';
import { FeatureRowIndex, MlpScorer } from './mlp-model.js';
import { createRandom } from '@review-assistant/shared';
import { tinyWeights } from '../testing/tiny-intent-artifact.js';

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

describe('MlpScorer ensemble averaging', () => {
  const { weights } = tinyWeights({ wordVectors: true });
  const alone = weights.networks.map((network) => new MlpScorer({ networks: [network], wordVectors: weights.wordVectors }));
  // texts the two members agree on, disagree on, and one only the word vectors know
  const texts = ['hello there', 'howdy', 'thanks for the flight', 'is a storm coming to the bank', 'nothing known here'];

  it('averages the members\' probabilities by default', () => {
    const scorer = new MlpScorer(weights);
    for (const text of texts) {
      const [first, second] = alone.map((member) => member.probabilities(text));
      const expected = first!.map((value, label) => (value + second![label]!) / 2);
      expectClose(scorer.probabilities(text), expected);
    }
  });

  it('with logit averaging gives the normalised geometric mean of the members\' probabilities', () => {
    const scorer = new MlpScorer({ ...weights, averaging: 'logits' });
    let differs = false;
    for (const text of texts) {
      const [first, second] = alone.map((member) => member.probabilities(text));
      const geometric = first!.map((value, label) => Math.sqrt(value * second![label]!));
      const total = geometric.reduce((sum, value) => sum + value, 0);
      const actual = scorer.probabilities(text);
      expectClose(actual, geometric.map((value) => value / total));
      if (Math.abs(actual[0]! - (first![0]! + second![0]!) / 2) > 1e-3) differs = true;
    }
    // not the arithmetic mean in disguise
    expect(differs).toBe(true);
  });
});

function expectClose(actual: Float32Array, expected: Float32Array): void {
  expect(actual).toHaveLength(expected.length);
  actual.forEach((value, index) => expect(value).toBeCloseTo(expected[index]!, 5));
}
