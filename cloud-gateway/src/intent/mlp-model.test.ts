import { describe, expect, it } from 'vitest';
import { topIndices } from './artifact-classifier.js';
import { activeFeatures, FeatureRowIndex, MlpScorer, quantizeRows, textWords, type IntentModelWeights, type MlpNetwork } from './mlp-model.js';
import { extractFeatures, normalizeText, wordVectorInputs, type FeatureConfig } from './text-features.js';
import { createRandom, WordVectors, type WordVectorTable } from '@review-assistant/shared';
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

/**
 * The scorer, written the obvious way: one array per layer, one loop per sum. Its float64 sums are
 * added up in the order the fast scorer promises: a hidden unit's bias, then the active n-gram rows
 * in first-seen order, then its four word-vector partial sums (input i in sum i mod 4, the inputs
 * past the last multiple of four in the first); a label's logit is (bias + the terms of the
 * even-positioned positive units) + (the odd-positioned ones), positions counted in unit order.
 */
function referenceLogits(network: MlpNetwork, normalized: string, pooled: Float32Array): Float64Array {
  const width = network.embedding.cols;
  const labels = network.output.rows;
  const hidden = Float64Array.from(network.hiddenBias);
  if (network.featureIds.length > 0) {
    const active = activeFeatures(normalized, network);
    for (let index = 0; index < active.count; index += 1) {
      const row = active.rows[index]!;
      const factor = active.values[index]! * network.embedding.scales[row]!;
      for (let col = 0; col < width; col += 1) hidden[col] = hidden[col]! + factor * network.embedding.values[row * width + col]!;
    }
  }
  const vectorInput = network.vectorInput;
  if (vectorInput !== undefined) {
    const inputs = vectorInput.rows;
    const unrolled = inputs - (inputs % 4);
    for (let col = 0; col < width; col += 1) {
      const sums = [0, 0, 0, 0];
      for (let input = 0; input < inputs; input += 1) {
        const weight = Math.fround(vectorInput.values[input * width + col]! * vectorInput.scales[input]!);
        const sum = input < unrolled ? input % 4 : 0;
        sums[sum] = sums[sum]! + pooled[input]! * weight;
      }
      hidden[col] = hidden[col]! + sums[0]! + sums[1]! + sums[2]! + sums[3]!;
    }
  }
  const positive = Array.from(hidden.keys()).filter((col) => hidden[col]! > 0);
  return Float64Array.from({ length: labels }, (_, label) => {
    let even: number = network.outputBias[label]!;
    let odd = 0;
    positive.forEach((col, position) => {
      const term = hidden[col]! * Math.fround(network.output.values[label * width + col]! * network.output.scales[label]!);
      if (position % 2 === 0) even += term;
      else odd += term;
    });
    return even + odd;
  });
}

/**
 * softmax(scale × logits), normalised as the scorer does: each exponential times 1 / total, the
 * exponentials held as float32 when the result is (`float32`).
 */
function referenceSoftmax(logits: Float64Array, scale: number, float32: boolean): Float64Array {
  const largest = Math.max(...logits);
  const exps = logits.map((logit) => Math.exp((logit - largest) * scale));
  const total = exps.reduce((sum, value) => sum + value, 0);
  return exps.map((value) => (float32 ? Math.fround(value) : value) * (1 / total));
}

function referenceProbabilities(weights: IntentModelWeights, text: string): { logits: Float64Array[]; probabilities: Float32Array } {
  const normalized = normalizeText(text);
  const pooled = new Float32Array(2 * (weights.wordVectors?.dims ?? 0));
  if (weights.wordVectors !== undefined) {
    const vectors = new WordVectors(weights.wordVectors);
    vectors.pool(vectors.rowsOf(textWords(text)), pooled);
  }
  const logits = weights.networks.map((network) => referenceLogits(network, normalized, pooled));
  const labels = logits[0]!.length;
  const members = weights.networks.length;
  if (weights.averaging === 'logits') {
    const sums = new Float64Array(labels);
    for (const member of logits) member.forEach((logit, label) => (sums[label] = sums[label]! + logit));
    return { logits, probabilities: Float32Array.from(referenceSoftmax(sums, 1 / members, true)) };
  }
  // the members' probabilities are added up in float32, as the scorer's result array holds them
  const sums = new Float32Array(labels);
  for (const member of logits) referenceSoftmax(member, 1, false).forEach((probability, label) => (sums[label] = sums[label]! + probability));
  return { logits, probabilities: sums.map((sum) => sum / members) };
}

/**
 * A random model shaped like the shipped one, small: the shipped four feature sets (three with
 * n-gram rows, one over the word vectors alone), widths and label counts that are not multiples
 * of the scorer's unrolling, n-gram rows for the grams of a random corpus (so a text has many
 * known and some unknown grams), random weights.
 */
function randomModel(seed: number, width: number, labels: number, dims: number): IntentModelWeights {
  const next = createRandom(seed);
  const uniform = (size: number, spread: number): Float32Array => Float32Array.from({ length: size }, () => (next() * 2 - 1) * spread);
  const corpus = randomTexts(next, 150);
  const words = [...new Set(corpus.flatMap((text) => textWords(text)))].filter(() => next() < 0.8);
  const featureSets: FeatureConfig[] = [
    { wordNgrams: [1, 2], charMin: 3, charMax: 5, hashBits: 22, wordVectors: true },
    { wordNgrams: [1, 2, 3], charMin: 2, charMax: 4, hashBits: 22, wordVectors: true },
    { wordNgrams: [1, 2, 3], charMin: 2, charMax: 5, hashBits: 22, charScope: 'words', wordVectors: 'mean' },
    { wordNgrams: [], charMin: 2, charMax: 1, hashBits: 22, wordVectors: true },
  ];
  const networks = featureSets.map((features): MlpNetwork => {
    const ids = new Set(corpus.flatMap((text) => Array.from(extractFeatures(text, features).ids)));
    const featureIds = Uint32Array.from(ids).sort();
    const inputs = wordVectorInputs(features, dims);
    return {
      features,
      featureIds,
      idf: Float32Array.from(featureIds, () => 1 + next() * 5),
      embedding: quantizeRows(uniform(featureIds.length * width, 1), featureIds.length, width),
      hiddenBias: uniform(width, 0.3),
      output: quantizeRows(uniform(labels * width, 2), labels, width),
      outputBias: uniform(labels, 0.5),
      vectorInput: quantizeRows(uniform(inputs * width, 1), inputs, width),
    };
  });
  const values = Int8Array.from({ length: words.length * dims }, () => Math.round((next() * 2 - 1) * 127));
  const wordVectors: WordVectorTable = { dims, words, values, scales: uniform(words.length, 0.02), weights: Float32Array.from(words, () => next()) };
  return { networks, wordVectors };
}

const randomVocabulary = ['i', 'need', 'a', 'table', 'for', 'two', 'tonight', 'what', 'is', 'the', 'best', 'pasta', 'near', 'me', "don't", 'café', 'señor', 'sushi', 'how', 'do', 'say', 'hello', 'in', 'french', 'book', 'flight', 'to', 'paris', 'ok', 'balance', 'weather', "what's"];

/** Texts of 1 to ~60 words (a few of several hundred), some shouting, some punctuated. */
function randomTexts(next: () => number, count: number): string[] {
  const texts: string[] = [];
  while (texts.length < count) {
    const length = 1 + Math.floor(next() * (next() < 0.05 ? 400 : 60));
    const words = Array.from({ length }, () => randomVocabulary[Math.floor(next() * randomVocabulary.length)]! + (next() < 0.1 ? '!' : ''));
    texts.push(next() < 0.2 ? words.join(' ').toUpperCase() : words.join(' '));
  }
  return texts;
}

describe('MlpScorer against a straightforward reference', () => {
  const texts = ['', '   ', '?!', 'zzz unknown words only', ...randomTexts(createRandom(11), 300)];

  it.each([
    { width: 45, labels: 23, dims: 7, averaging: 'logits' as const },
    { width: 96, labels: 151, dims: 10, averaging: 'probabilities' as const },
  ])('gives bit-identical logits and probabilities (width $width, $labels labels, $averaging)', ({ width, labels, dims, averaging }) => {
    const weights = { ...randomModel(width + labels, width, labels, dims), averaging };
    const scorer = new MlpScorer(weights);
    const reused = new Float32Array(labels);
    const distinct = new Set<string>();
    const best = new Set<number>();
    for (const text of texts) {
      const expected = referenceProbabilities(weights, text);
      expected.logits.forEach((logits, member) => expect(Array.from(scorer.memberLogits(text, member))).toEqual(Array.from(logits)));
      expect(Array.from(scorer.probabilities(text))).toEqual(Array.from(expected.probabilities));
      expect(Array.from(scorer.probabilities(text, reused))).toEqual(Array.from(expected.probabilities));
      distinct.add(expected.probabilities.join());
      best.add(expected.probabilities.indexOf(Math.max(...expected.probabilities)));
    }
    // not a degenerate model whose outputs are all alike: the texts score apart
    expect(distinct.size).toBeGreaterThan(texts.length * 0.9);
    expect(best.size).toBeGreaterThan(5);
  });
});
