/**
 * A tiny intent model artifact for the gateway's tests, built by hand instead of trained (the
 * trainer and CLINC150 live in `scripts/src/intent-training/`, outside the gateway). One network
 * over word unigrams: each keyword's row points at its intent's hidden unit, and the output layer
 * maps hidden unit i to label i, so a text with a keyword of one intent predicts that intent.
 */
import { createHash } from 'node:crypto';
import { gunzipSync, gzipSync } from 'node:zlib';
import { encodeArtifact, type ArtifactManifest } from '../intent/artifact.js';
import { quantizeRows, type IntentModelWeights } from '../intent/mlp-model.js';
import { extractFeatures, type FeatureConfig } from '../intent/text-features.js';

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

export function tinyWeights(): { weights: IntentModelWeights; labels: string[]; domains: Record<string, string> } {
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
  const domains = Object.fromEntries(tinyIntents.map(([intent, domain]) => [intent, domain]));
  return { weights, labels, domains };
}

export function tinyArtifact(overrides: Partial<ArtifactManifest> = {}): { bytes: Buffer; manifest: ArtifactManifest; weights: IntentModelWeights } {
  const { weights, labels, domains } = tinyWeights();
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
