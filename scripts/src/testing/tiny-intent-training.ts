/** Helpers for the trainer's tests: a tiny, quickly trained artifact from a slice of CLINC150 train. */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { encodeArtifact, type ArtifactManifest, type IntentModelWeights, defaultFeatureConfig } from '@review-assistant/cloud-gateway/intent';
import { parseClincFile, parseDomains } from '../intent-training/clinc-data.js';
import { trainIntentModel, defaultTrainingOptions, type TrainingOptions } from '../intent-training/mlp-trainer.js';
import { defaultDataDirectory, labelsOf, toExamples } from '../intent-training/training-pipeline.js';

export const tinyIntents = ['greeting', 'thank_you', 'balance', 'book_flight', 'restaurant_reviews', 'weather'];

export function tinyTrainingSet(perIntent = 20): { pairs: Array<[string, string]>; labels: string[] } {
  const split = parseClincFile(JSON.parse(readFileSync(join(defaultDataDirectory, 'clinc150', 'train.json'), 'utf8')));
  const pairs: Array<[string, string]> = [];
  for (const intent of tinyIntents) pairs.push(...split.inScope.filter(([, label]) => label === intent).slice(0, perIntent));
  pairs.push(...split.outOfScope.slice(0, perIntent));
  return { pairs, labels: labelsOf({ inScope: pairs, outOfScope: [] }) };
}

export const tinyOptions: TrainingOptions = {
  ...defaultTrainingOptions,
  features: [
    { ...defaultFeatureConfig, hashBits: 18 },
    { wordNgrams: [1, 2, 3], charMin: 2, charMax: 4, hashBits: 18 },
  ],
  hidden: 16,
  epochs: 10,
  batchSize: 8,
  learningRate: 0.01,
  hiddenDropout: 0.1,
  inputDropout: 0,
  minFeatureCount: 1,
};

export function trainTiny(seed = 7): { weights: IntentModelWeights; labels: string[] } {
  const { pairs, labels } = tinyTrainingSet();
  return { weights: trainIntentModel(toExamples(pairs, labels), labels.length, { ...tinyOptions, seed }), labels };
}

export function tinyArtifact(overrides: Partial<ArtifactManifest> = {}): { bytes: Buffer; manifest: ArtifactManifest; weights: IntentModelWeights } {
  const { weights, labels } = trainTiny();
  const allDomains = parseDomains(JSON.parse(readFileSync(join(defaultDataDirectory, 'clinc150', 'domains.json'), 'utf8')));
  const domains = Object.fromEntries(labels.filter((label) => allDomains[label]).map((label) => [label, allDomains[label]!]));
  const { bytes, manifest } = encodeArtifact(
    {
      version: 'test.tiny',
      createdAt: '2026-01-01T00:00:00.000Z',
      algorithm: 'tiny test model',
      labels,
      domains,
      outOfScopeLabel: 'oos',
      thresholds: { confidence: 0.2 },
      training: { dataSha256: { 'tiny.json': 'none' }, seed: 7, examples: 140, durationMs: 1, options: {} },
      valMetrics: { inScopeAccuracy: 0.5 },
      ...overrides,
    },
    weights,
  );
  return { bytes, manifest, weights };
}
