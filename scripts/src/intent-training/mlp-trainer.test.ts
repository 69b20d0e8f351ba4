import { describe, expect, it } from 'vitest';
import { ArtifactIntentClassifier, decodeArtifact, encodeArtifact, textWords } from '@review-assistant/cloud-gateway/intent';
import { createRandom, type WordVectorTable } from '@review-assistant/shared';
import { trainIntentModel } from './mlp-trainer.js';
import { tinyArtifact, tinyOptions, tinyTrainingSet, trainTiny } from '../testing/tiny-intent-training.js';
import { toExamples, wordVectorOnlyView } from './training-pipeline.js';

describe('training', () => {
  it('is deterministic: the same seed gives identical weights', () => {
    const first = trainTiny(11).weights;
    const second = trainTiny(11).weights;
    second.networks.forEach((network, index) => {
      expect(network.featureIds).toEqual(first.networks[index]!.featureIds);
      expect(network.embedding.values).toEqual(first.networks[index]!.embedding.values);
      expect(network.output.values).toEqual(first.networks[index]!.output.values);
      expect(network.outputBias).toEqual(first.networks[index]!.outputBias);
    });
  });

  it('gives different weights for a different seed', () => {
    const first = trainTiny(11).weights;
    const other = trainTiny(12).weights;
    expect(other.networks[0]!.output.values).not.toEqual(first.networks[0]!.output.values);
  });

  it('learns the training texts of the tiny subset', () => {
    const { manifest, weights } = tinyArtifact();
    const classifier = new ArtifactIntentClassifier({ manifest, weights }, 0);
    expect(classifier.predict('what is my bank balance').intent.name).toBe('balance');
    expect(classifier.predict('thank you so much').intent.name).toBe('thank_you');
  });
});

describe('training with the word-vector view', () => {
  const { pairs, labels } = tinyTrainingSet();
  const examples = toExamples(pairs, labels);
  const words = [...new Set(pairs.flatMap(([text]) => textWords(text)))];
  const random = createRandom(5);
  const dims = 16;
  const vectors: WordVectorTable = {
    dims,
    words,
    values: Int8Array.from({ length: words.length * dims }, () => Math.round(random() * 254 - 127)),
    scales: new Float32Array(words.length).fill(1 / 127 / Math.sqrt(dims)),
  };
  const options = { ...tinyOptions, features: [{ ...tinyOptions.features[0]!, wordVectors: true }, wordVectorOnlyView] };

  it('trains a word-vector input per network that has the view, deterministically', () => {
    const first = trainIntentModel(examples, labels.length, options, vectors);
    const second = trainIntentModel(examples, labels.length, options, vectors);
    expect(first.wordVectors).toBe(vectors);
    expect(first.networks.map((network) => [network.vectorInput?.rows, network.vectorInput?.cols])).toEqual([
      [2 * dims, tinyOptions.hidden],
      [2 * dims, tinyOptions.hidden],
    ]);
    expect(first.networks[1]!.featureIds).toHaveLength(0);
    expect(second.networks[0]!.vectorInput!.values).toEqual(first.networks[0]!.vectorInput!.values);
    expect(second.networks[1]!.output.values).toEqual(first.networks[1]!.output.values);
  });

  it('gives a network that reads the mean alone one input per dimension, through an artifact round trip', () => {
    const meanOnly = { ...options, features: [{ ...tinyOptions.features[0]!, wordVectors: 'mean' as const }, wordVectorOnlyView] };
    const weights = trainIntentModel(examples, labels.length, meanOnly, vectors);
    expect(weights.networks.map((network) => network.vectorInput?.rows)).toEqual([dims, 2 * dims]);
    const description = {
      version: 'test.mean',
      createdAt: '2026-01-01T00:00:00.000Z',
      algorithm: 'test',
      labels,
      domains: {},
      outOfScopeLabel: 'oos',
      thresholds: { confidence: 0 },
      training: { dataSha256: {}, seed: 0, examples: examples.length, durationMs: 0, options: {} },
      valMetrics: {},
      wordVectorSource: { name: 'random test vectors', licence: 'none', url: 'none' },
    };
    const decoded = decodeArtifact(encodeArtifact(description, weights).bytes);
    expect(decoded.manifest.features[0]!.wordVectors).toBe('mean');
    const before = new ArtifactIntentClassifier({ manifest: decoded.manifest, weights }, 0);
    const after = new ArtifactIntentClassifier(decoded, 0);
    for (const [text] of pairs.slice(0, 20)) expect(after.predict(text)).toEqual(before.predict(text));
  });

  it('learns the tiny subset from the word vectors alone', () => {
    const weights = trainIntentModel(examples, labels.length, { ...options, features: [wordVectorOnlyView], epochs: 30 }, vectors);
    const classifier = new ArtifactIntentClassifier({ manifest: { labels, domains: {}, outOfScopeLabel: 'oos', thresholds: { confidence: 0 } } as never, weights }, 0);
    const correct = pairs.filter(([text, intent]) => classifier.predict(text).intent.name === intent).length;
    // chance is 1 in 7 labels
    expect(correct / pairs.length).toBeGreaterThan(0.7);
  });

  it('refuses a word-vector view without word vectors', () => {
    expect(() => trainIntentModel(examples, labels.length, options)).toThrow(/no word vectors were given/);
  });
});
