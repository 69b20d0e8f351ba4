/**
 * The whole training run behind `npm run train:intent`: read CLINC150 + the project's dining
 * utterances, train the ensemble, tune the out-of-scope threshold on val, measure, encode.
 */
import { createHash } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import {
  ArtifactIntentClassifier,
  ARTIFACT_FORMAT_VERSION,
  encodeArtifact,
  readsWordVectors,
  type ArtifactManifest,
  textWords,
  defaultFeatureConfig,
  type FeatureConfig,
} from '@review-assistant/cloud-gateway/intent';
import { DiningUtterancesSchema, parseClincFile, parseDomains, type ClincSplit } from './clinc-data.js';
import { collectPredictions, metricsAt, tuneThreshold, type IntentMetrics } from './evaluation.js';
import { trainIntentModel, defaultTrainingOptions, type TrainingExample, type TrainingOptions } from './mlp-trainer.js';
import type { WordVectorTable } from '@review-assistant/shared';
import { packWordVectors } from '../word-vectors/pack-word-vectors.js';
import { loadWinkVectors, type SourceVectors } from '../word-vectors/wink-vectors.js';
import { principalComponents } from './principal-vectors.js';

export const OUT_OF_SCOPE_LABEL = 'oos';
/** `scripts/data/intent`, resolved from the package root (works from src/ and dist/). */
export const defaultDataDirectory = fileURLToPath(new URL('../../data/intent/', import.meta.url));

/** A network that reads only the pooled word vectors (no n-grams: the character range is empty). */
export const wordVectorOnlyView: FeatureConfig = { wordNgrams: [], charMin: 2, charMax: 1, hashBits: 22, wordVectors: true };

/**
 * The hyper-parameters of the shipped model (chosen on CLINC150 val, see docs/INTENT.md): three
 * networks over different n-gram views, each also reading the mean- and max-pooled pretrained word
 * vectors of the text, plus one network over the word vectors alone. The gain comes from averaging
 * views that make different mistakes; their logits are averaged (a label needs the support of
 * every member, which also separates out-of-scope texts better than averaged probabilities). The
 * word vectors are projected on their 50 principal components: half the dense inputs of 100
 * dimensions, centred (the direction every GloVe vector shares is gone), and better on val.
 * Features seen in fewer than four training texts are dropped to keep the artifact within its 15
 * MB budget.
 */
export const shippedTrainingOptions: TrainingOptions = {
  ...defaultTrainingOptions,
  inputDropout: 0.4,
  minFeatureCount: 4,
  hidden: 96,
  wordVectorDims: 50,
  averaging: 'logits',
  features: [
    { ...defaultFeatureConfig, wordVectors: true },
    { wordNgrams: [1, 2, 3], charMin: 2, charMax: 4, hashBits: 22, wordVectors: true },
    { wordNgrams: [1, 2, 3], charMin: 2, charMax: 5, hashBits: 22, charScope: 'words', wordVectors: true },
    wordVectorOnlyView,
  ],
};

/** Besides the training vocabulary, the intent model keeps the vectors of this many frequent words. */
export const INTENT_FREQUENT_WORDS = 20_000;

/**
 * Out-of-scope recall the confidence threshold must reach on val; above it, the threshold
 * protects in-scope accuracy (see `tuneThreshold`). Well above the 45% requirement, since val has
 * only 100 out-of-scope texts (± ~5 points). 63%: the val oos recall of the previous (n-gram-only)
 * model, whose 60% target landed there, so the word-vector model is compared at equal oos recall.
 */
export const OOS_RECALL_TARGET = 0.63;

function describeFeatures(features: FeatureConfig): string {
  const vectors = features.wordVectors === 'mean' ? 'mean word vectors' : features.wordVectors === true ? 'mean+max word vectors' : '';
  if (features.wordNgrams.length === 0 && features.charMin > features.charMax) return vectors;
  const grams = `word ${features.wordNgrams.join('/')}-grams + char ${features.charMin}–${features.charMax}-grams${features.charScope === 'words' ? ' within words' : ''}`;
  return vectors === '' ? grams : `${grams} + ${vectors}`;
}

function describeEnsemble(options: TrainingOptions): string {
  if (options.features.length === 1) return 'one network';
  return `${options.averaging === 'logits' ? 'averaged logits' : 'average'} of ${options.features.length} networks`;
}

export interface TrainingData {
  train: ClincSplit;
  val: ClincSplit;
  /** intent → domain */
  domains: Record<string, string>;
  dining: { train: Array<[string, string]>; heldOut: Array<[string, string]> };
  sha256: Record<string, string>;
}

/**
 * The word vectors the model needs: those of every training word plus the most frequent English
 * words, as a plain (unweighted) mean: for intents, question words such as "how" or "where" carry
 * meaning that smooth-inverse-frequency weights would discount.
 */
export function packIntentVectors(source: SourceVectors, data: Pick<TrainingData, 'train' | 'dining'>, frequent = INTENT_FREQUENT_WORDS, dims?: number): WordVectorTable {
  const pairs = [...data.train.inScope, ...data.train.outOfScope, ...data.dining.train];
  const options = { required: new Set(pairs.flatMap(([text]) => textWords(text))), frequent };
  const { weights: _weights, ...table } = packWordVectors(source, options);
  if (dims === undefined || dims === source.dims) return table;
  // the same words, projected on their principal components
  const { weights: _projectedWeights, ...projected } = packWordVectors(principalComponents(source, table.words, dims), options);
  return projected;
}

export async function readTrainingData(dataDirectory = defaultDataDirectory): Promise<TrainingData> {
  const files = {
    'clinc150/train.json': join(dataDirectory, 'clinc150', 'train.json'),
    'clinc150/val.json': join(dataDirectory, 'clinc150', 'val.json'),
    'clinc150/domains.json': join(dataDirectory, 'clinc150', 'domains.json'),
    'dining-utterances.json': join(dataDirectory, 'dining-utterances.json'),
  };
  const contents: Record<string, string> = {};
  const sha256: Record<string, string> = {};
  for (const [name, path] of Object.entries(files)) {
    const text = await readFile(path, 'utf8');
    contents[name] = text;
    sha256[name] = createHash('sha256').update(text).digest('hex');
  }
  const dining = DiningUtterancesSchema.parse(JSON.parse(contents['dining-utterances.json']!));
  return {
    train: parseClincFile(JSON.parse(contents['clinc150/train.json']!)),
    val: parseClincFile(JSON.parse(contents['clinc150/val.json']!)),
    domains: parseDomains(JSON.parse(contents['clinc150/domains.json']!)),
    dining: { train: dining.train, heldOut: dining.heldOut },
    sha256,
  };
}

export interface TrainingResult {
  bytes: Buffer;
  manifest: ArtifactManifest;
  val: IntentMetrics;
  /** Share of the held-out dining questions predicted as an in-scope dining intent. */
  diningHeldOutDining: number;
  durationMs: number;
  cpuMs: number;
}

/** Sorted intents plus `oos` last. */
export function labelsOf(split: ClincSplit, extra: Array<[string, string]> = []): string[] {
  const intents = new Set([...split.inScope, ...extra].map(([, intent]) => intent));
  intents.delete(OUT_OF_SCOPE_LABEL);
  return [...[...intents].sort(), OUT_OF_SCOPE_LABEL];
}

export function toExamples(pairs: Array<[string, string]>, labels: string[]): TrainingExample[] {
  const index = new Map(labels.map((label, position) => [label, position]));
  return pairs.map(([text, intent]) => {
    const label = index.get(intent);
    if (label === undefined) throw new Error(`unknown intent ${intent} in the training data`);
    return { text, label };
  });
}

export async function trainArtifact(
  data: TrainingData,
  options: TrainingOptions = shippedTrainingOptions,
  now: () => Date = () => new Date(),
  loadVectors: () => Promise<SourceVectors> = loadWinkVectors,
): Promise<TrainingResult> {
  const started = performance.now();
  const cpuStarted = process.cpuUsage();
  const labels = labelsOf(data.train, data.dining.train);
  const examples = toExamples([...data.train.inScope, ...data.train.outOfScope, ...data.dining.train], labels);
  const source = options.features.some(readsWordVectors) ? await loadVectors() : undefined;
  const vectors = source === undefined ? undefined : packIntentVectors(source, data, INTENT_FREQUENT_WORDS, options.wordVectorDims);
  const weights = trainIntentModel(examples, labels.length, options, vectors);
  const durationMs = performance.now() - started;
  const cpu = process.cpuUsage(cpuStarted);
  const cpuMs = (cpu.user + cpu.system) / 1000;

  const domains: Record<string, string> = {};
  for (const label of labels) if (data.domains[label] !== undefined) domains[label] = data.domains[label];
  const draft = { manifest: { labels, domains, outOfScopeLabel: OUT_OF_SCOPE_LABEL, thresholds: { confidence: 0 } } as ArtifactManifest, weights };
  // threshold 0: the raw top label, so the threshold can be tuned on val afterwards
  const raw = new ArtifactIntentClassifier(draft, 0);
  const predictions = collectPredictions(raw, data.val, OUT_OF_SCOPE_LABEL);
  const untuned = metricsAt(predictions, 0, domains, OUT_OF_SCOPE_LABEL);
  const { threshold, metrics } = tuneThreshold(predictions, domains, { outOfScopeLabel: OUT_OF_SCOPE_LABEL, minOosRecall: OOS_RECALL_TARGET });
  const tuned = new ArtifactIntentClassifier(draft, threshold);
  const diningHeldOutDining =
    data.dining.heldOut.filter(([text]) => tuned.predict(text).domain === 'kitchen_and_dining').length / Math.max(1, data.dining.heldOut.length);

  const createdAt = now();
  const dataHash = createHash('sha256').update(Object.values(data.sha256).join('')).digest('hex').slice(0, 8);
  const { onProgress: _progress, ...recordedOptions } = options;
  const { bytes, manifest } = encodeArtifact(
    {
      version: `${ARTIFACT_FORMAT_VERSION}.${createdAt.toISOString().slice(0, 10).replaceAll('-', '')}.${dataHash}.s${options.seed}`,
      createdAt: createdAt.toISOString(),
      algorithm: `${describeEnsemble(options)}: hashed tf-idf n-grams and pretrained word vectors${options.wordVectorDims === undefined ? '' : ` (${options.wordVectorDims} principal components)`} (${options.features.map(describeFeatures).join('; ')}) → ReLU(${options.hidden}) → ${options.averaging === 'logits' && options.features.length > 1 ? 'logits, averaged over the networks → softmax' : 'softmax'}; int8 weights; oos class + confidence threshold`,
      labels,
      domains,
      outOfScopeLabel: OUT_OF_SCOPE_LABEL,
      thresholds: { confidence: threshold },
      ...(source === undefined ? {} : { wordVectorSource: source.source }),
      training: { dataSha256: data.sha256, seed: options.seed, examples: examples.length, durationMs: Math.round(durationMs), cpuMs: Math.round(cpuMs), options: { ...recordedOptions } },
      valMetrics: {
        threshold,
        oosRecallTarget: OOS_RECALL_TARGET,
        inScopeAccuracy: metrics.inScopeAccuracy,
        oosRecall: metrics.oosRecall,
        oosPrecision: metrics.oosPrecision,
        macroF1: metrics.macroF1,
        inScopeAccuracyWithoutThreshold: untuned.inScopeAccuracy,
        oosRecallWithoutThreshold: untuned.oosRecall,
        diningHeldOutDining,
      },
    },
    weights,
  );
  return { bytes, manifest, val: metrics, diningHeldOutDining, durationMs, cpuMs };
}
