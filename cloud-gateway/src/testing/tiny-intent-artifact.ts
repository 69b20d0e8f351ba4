/**
 * A tiny intent model artifact for the gateway's tests, built by hand instead of trained (the
 * trainer and CLINC150 live in `scripts/src/intent-training/`, outside the gateway). One network
 * over word unigrams: each keyword's row points at its intent's hidden unit, and the output layer
 * maps hidden unit i to label i, so a text with a keyword of one intent predicts that intent.
 * With `wordVectors`, a second network reads toy word vectors (one dimension per intent) that
 * also know synonyms the n-gram network has never seen ("howdy", "cheers", "storm").
 */
import { createHash } from 'node:crypto';
import { gunzipSync, gzipSync } from 'node:zlib';
import { encodeArtifact, type ArtifactManifest } from '../intent/artifact.js';
import { quantizeRows, type EnsembleAveraging, type IntentModelWeights } from '../intent/mlp-model.js';
import { extractFeatures, type FeatureConfig } from '../intent/text-features.js';
import type { WordVectorSource, WordVectorTable } from '@review-assistant/shared';

/** intent → domain → keywords; `oos` (last label) has no keywords and a small bias. */
const tinyIntents: ReadonlyArray<[intent: string, domain: string, keywords: string[]]> = [
  ['balance', 'banking', ['balance', 'bank', 'checking', 'account']],
  ['book_flight', 'travel', ['flight', 'fly', 'plane']],
  ['greeting', 'small_talk', ['hello', 'hi', 'hey', 'morning']],
  ['restaurant_reviews', 'kitchen_and_dining', ['review', 'reviews', 'restaurant', 'food']],
  ['thank_you', 'small_talk', ['thank', 'thanks']],
  ['weather', 'utility', ['rain', 'weather', 'sunny']],
];

const features: FeatureConfig = { wordNgrams: [1], charMin: 3, charMax: 5, hashBits: 18, charScope: 'words' };

/** The hashed id of a word unigram under `features` (character grams switched off for the lookup). */
function wordId(word: string): number {
  const ids = extractFeatures(word, { ...features, charMin: 1, charMax: 0 }).ids;
  if (ids.length !== 1) throw new Error(`expected one feature for ${word}`);
  return ids[0]!;
}

/** Synonyms only the toy word vectors know: word → intent. */
const vectorSynonyms: Readonly<Record<string, string>> = { howdy: 'greeting', cheers: 'thank_you', storm: 'weather' };

export const tinyWordVectorSource: WordVectorSource = { name: 'toy vectors for tests', licence: 'written for this project', url: 'none' };

/** One dimension per label; each keyword or synonym is the unit vector of its intent. */
function tinyWordVectors(labels: string[]): WordVectorTable {
  const entries = [...tinyIntents.flatMap(([intent, , keywords]) => keywords.map((word) => [word, intent] as const)), ...Object.entries(vectorSynonyms)];
  const dims = labels.length;
  const values = new Int8Array(entries.length * dims);
  entries.forEach(([, intent], row) => {
    values[row * dims + labels.indexOf(intent)] = 127;
  });
  return { dims, words: entries.map(([word]) => word), values, scales: new Float32Array(entries.length).fill(1 / 127) };
}

export function tinyWeights(options: { wordVectors?: boolean; averaging?: EnsembleAveraging } = {}): { weights: IntentModelWeights; labels: string[]; domains: Record<string, string> } {
  const labels = [...tinyIntents.map(([intent]) => intent), 'oos'];
  const hidden = labels.length;
  const rows = tinyIntents.flatMap(([, , keywords], label) => keywords.map((keyword) => ({ id: wordId(keyword), label }))).sort((left, right) => left.id - right.id);
  const embedding = new Float32Array(rows.length * hidden);
  rows.forEach(({ label }, row) => {
    embedding[row * hidden + label] = 1;
  });
  const output = new Float32Array(labels.length * hidden);
  for (let label = 0; label < labels.length; label += 1) output[label * hidden + label] = 8;
  const outputBias = new Float32Array(labels.length);
  outputBias[labels.length - 1] = 2;
  const weights: IntentModelWeights = {
    ...(options.averaging === undefined ? {} : { averaging: options.averaging }),
    networks: [
      {
        features,
        featureIds: Uint32Array.from(rows.map(({ id }) => id)),
        idf: new Float32Array(rows.length).fill(1),
        embedding: quantizeRows(embedding, rows.length, hidden),
        hiddenBias: new Float32Array(hidden),
        output: quantizeRows(output, labels.length, hidden),
        outputBias,
      },
    ],
  };
  if (options.wordVectors === true) {
    const table = tinyWordVectors(labels);
    // the mean's dimension d feeds hidden unit d; the max half stays zero
    const vectorInput = new Float32Array(2 * table.dims * hidden);
    for (let dim = 0; dim < table.dims; dim += 1) vectorInput[dim * hidden + dim] = 4;
    weights.wordVectors = table;
    weights.networks.push({
      features: { ...features, wordVectors: true },
      featureIds: new Uint32Array(0),
      idf: new Float32Array(0),
      embedding: quantizeRows(new Float32Array(0), 0, hidden),
      hiddenBias: new Float32Array(hidden),
      output: quantizeRows(output, labels.length, hidden),
      outputBias,
      vectorInput: quantizeRows(vectorInput, 2 * table.dims, hidden),
    });
  }
  const domains = Object.fromEntries(tinyIntents.map(([intent, domain]) => [intent, domain]));
  return { weights, labels, domains };
}

export function tinyArtifact(
  overrides: Partial<ArtifactManifest> = {},
  options: { wordVectors?: boolean; averaging?: EnsembleAveraging } = {},
): { bytes: Buffer; manifest: ArtifactManifest; weights: IntentModelWeights } {
  const { weights, labels, domains } = tinyWeights(options);
  const { bytes, manifest } = encodeArtifact(
    {
      version: 'test.tiny',
      createdAt: '2026-01-01T00:00:00.000Z',
      algorithm: 'tiny hand-built test model',
      labels,
      domains,
      outOfScopeLabel: 'oos',
      thresholds: { confidence: 0.2 },
      training: { dataSha256: { 'tiny.json': 'none' }, seed: 0, examples: 0, durationMs: 0, options: {} },
      valMetrics: { inScopeAccuracy: 0.5 },
      ...(options.wordVectors === true ? { wordVectorSource: tinyWordVectorSource } : {}),
      ...overrides,
    },
    weights,
  );
  return { bytes, manifest, weights };
}

/** Rewrites the manifest of an artifact and re-signs it, to simulate another format version. */
export function rewriteManifest(bytes: Buffer, change: (manifest: Record<string, unknown>) => void): Buffer {
  const content = gunzipSync(bytes);
  const length = content.readUInt32LE(8);
  const manifest = JSON.parse(content.subarray(12, 12 + length).toString('utf8')) as Record<string, unknown>;
  change(manifest);
  const manifestBytes = Buffer.from(JSON.stringify(manifest));
  const header = Buffer.alloc(4);
  header.writeUInt32LE(manifestBytes.length);
  const body = content.subarray(12 + length, content.length - 32);
  const unsigned = Buffer.concat([content.subarray(0, 8), header, manifestBytes, body]);
  return gzipSync(Buffer.concat([unsigned, createHash('sha256').update(unsigned).digest()]));
}
