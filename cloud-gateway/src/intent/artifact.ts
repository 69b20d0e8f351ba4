/**
 * The intent model artifact: one gzip file holding
 * `"RAINTENT" | u32 LE manifest length | manifest JSON | tensor bytes | SHA-256 of all before`.
 * The manifest says what the model is (labels, domains, features, thresholds, training data hash,
 * val metrics, creation time); the trailing SHA-256 is verified before anything is trusted.
 */
import { createHash } from 'node:crypto';
import { gunzipSync, gzipSync } from 'node:zlib';
import { z } from 'zod';
import type { WordVectorSource, WordVectorTable } from '@review-assistant/shared';
import type { IntentModelWeights, MlpNetwork, QuantizedMatrix } from './mlp-model.js';
import { readsWordVectors, wordVectorInputs } from './text-features.js';

export const ARTIFACT_FORMAT = 'review-assistant.intent-model';
/** Bump when the layout or the meaning of a field changes; loaders refuse other versions. */
export const ARTIFACT_FORMAT_VERSION = 4;
/**
 * Versions this reader accepts: 3 adds optional word vectors and word-vector inputs per network
 * (a version 2 artifact is a version 3 artifact without them); 4 adds `averaging` (absent: the
 * members' probabilities are averaged, as in 2 and 3). A version 3 reader would average the
 * probabilities of a model tuned for averaged logits, so it must refuse a version 4 file.
 */
const READABLE_FORMAT_VERSIONS: readonly number[] = [2, 3, 4];
const MAGIC = Buffer.from('RAINTENT', 'ascii');
const CHECKSUM_BYTES = 32;

/** Why an artifact was refused. */
export type ArtifactProblem = 'corrupt' | 'checksum_mismatch' | 'incompatible';

export class ArtifactError extends Error {
  override readonly name = 'ArtifactError';
  constructor(
    readonly problem: ArtifactProblem,
    message: string,
    options?: { cause?: unknown },
  ) {
    super(message, options);
  }
}

const TensorSchema = z.object({
  name: z.string(),
  dtype: z.enum(['int8', 'uint8', 'float32', 'uint32']),
  shape: z.array(z.number().int().nonnegative()),
  offset: z.number().int().nonnegative(),
  length: z.number().int().nonnegative(),
});

const FeatureConfigSchema = z.object({
  wordNgrams: z.array(z.number().int().min(1).max(4)),
  charMin: z.number().int().min(1),
  charMax: z.number().int().min(1),
  hashBits: z.number().int().min(8).max(32),
  /** Added in format version 2: character n-grams per word instead of over the whole text. */
  charScope: z.enum(['text', 'words']).optional(),
  /** Added in format version 3: the network also reads the pooled word vectors (`'mean'`: format 4). */
  wordVectors: z.union([z.boolean(), z.literal('mean')]).optional(),
});

const WordVectorsManifestSchema = z.object({
  source: z.object({ name: z.string(), licence: z.string(), url: z.string() }),
  dims: z.number().int().positive(),
  words: z.number().int().positive(),
});

export const ArtifactManifestSchema = z.object({
  format: z.literal(ARTIFACT_FORMAT),
  formatVersion: z.number().int(),
  version: z.string().min(1),
  createdAt: z.string(),
  algorithm: z.string(),
  labels: z.array(z.string()).min(2),
  /** intent → CLINC150 domain (`oos` has none). */
  domains: z.record(z.string(), z.string()),
  outOfScopeLabel: z.string(),
  /** Feature configuration of each network, in order. */
  features: z.array(FeatureConfigSchema).min(1),
  thresholds: z.object({
    /** Below this top probability the text is out of scope. */
    confidence: z.number().min(0).max(1),
  }),
  training: z.object({
    dataSha256: z.record(z.string(), z.string()),
    seed: z.number().int(),
    examples: z.number().int(),
    durationMs: z.number(),
    /** CPU time of the training (user + system); close to the wall time on an idle core. */
    cpuMs: z.number().optional(),
    options: z.record(z.string(), z.unknown()),
  }),
  valMetrics: z.record(z.string(), z.number()),
  networks: z.number().int().min(1),
  /** Format version 4: how the members' outputs are combined (absent: `probabilities`). */
  averaging: z.enum(['probabilities', 'logits']).optional(),
  /** Format version 3: the packed pretrained word vectors (their source and licence). */
  wordVectors: WordVectorsManifestSchema.optional(),
  tensors: z.array(TensorSchema),
});
export type ArtifactManifest = z.infer<typeof ArtifactManifestSchema>;

/** The manifest fields the trainer fills in; tensors are laid out by `encodeArtifact`. */
export type ArtifactDescription = Omit<ArtifactManifest, 'format' | 'formatVersion' | 'tensors' | 'networks' | 'features' | 'wordVectors' | 'averaging'> & {
  /** Required when the weights carry word vectors. */
  wordVectorSource?: WordVectorSource;
};

export interface DecodedArtifact {
  manifest: ArtifactManifest;
  weights: IntentModelWeights;
  /** SHA-256 of the uncompressed content (before the trailer), hex. */
  checksum: string;
}

type TensorData = Int8Array | Uint8Array | Float32Array | Uint32Array;
type Dtype = 'int8' | 'uint8' | 'float32' | 'uint32';

function dtypeOf(data: TensorData): Dtype {
  if (data instanceof Int8Array) return 'int8';
  if (data instanceof Uint8Array) return 'uint8';
  if (data instanceof Float32Array) return 'float32';
  return 'uint32';
}

function tensorsOf(weights: IntentModelWeights): Array<{ name: string; shape: number[]; data: TensorData }> {
  const list: Array<{ name: string; shape: number[]; data: TensorData }> = [];
  weights.networks.forEach((network, index) => {
    const prefix = `network${index}.`;
    list.push(
      { name: `${prefix}featureIds`, shape: [network.featureIds.length], data: network.featureIds },
      { name: `${prefix}idf`, shape: [network.idf.length], data: network.idf },
      { name: `${prefix}embedding`, shape: [network.embedding.rows, network.embedding.cols], data: network.embedding.values },
      { name: `${prefix}embeddingScales`, shape: [network.embedding.rows], data: network.embedding.scales },
      { name: `${prefix}hiddenBias`, shape: [network.hiddenBias.length], data: network.hiddenBias },
      { name: `${prefix}output`, shape: [network.output.rows, network.output.cols], data: network.output.values },
      { name: `${prefix}outputScales`, shape: [network.output.rows], data: network.output.scales },
      { name: `${prefix}outputBias`, shape: [network.outputBias.length], data: network.outputBias },
    );
    if (network.vectorInput !== undefined) {
      list.push(
        { name: `${prefix}vectorInput`, shape: [network.vectorInput.rows, network.vectorInput.cols], data: network.vectorInput.values },
        { name: `${prefix}vectorInputScales`, shape: [network.vectorInput.rows], data: network.vectorInput.scales },
      );
    }
  });
  const vectors = weights.wordVectors;
  if (vectors !== undefined) {
    const words = new Uint8Array(Buffer.from(vectors.words.join('\n'), 'utf8'));
    list.push(
      { name: 'wordVectors.words', shape: [words.length], data: words },
      { name: 'wordVectors.values', shape: [vectors.words.length, vectors.dims], data: vectors.values },
      { name: 'wordVectors.scales', shape: [vectors.words.length], data: vectors.scales },
    );
    if (vectors.weights !== undefined) list.push({ name: 'wordVectors.weights', shape: [vectors.words.length], data: vectors.weights });
  }
  return list;
}

/** Serialises the model into the gzip artifact; returns the bytes and the manifest written. */
export function encodeArtifact(description: ArtifactDescription, weights: IntentModelWeights): { bytes: Buffer; manifest: ArtifactManifest } {
  const tensors = tensorsOf(weights);
  let offset = 0;
  // every tensor starts on a multiple of 4 bytes (zero padding between them), so that a reader can
  // view its float32 and uint32 tensors in place instead of copying them
  const layout = tensors.map((tensor) => {
    offset = alignUp(offset);
    const entry = { name: tensor.name, dtype: dtypeOf(tensor.data), shape: tensor.shape, offset, length: tensor.data.byteLength };
    offset += tensor.data.byteLength;
    return entry;
  });
  const { wordVectorSource, ...rest } = description;
  const vectors = weights.wordVectors;
  if (vectors !== undefined && wordVectorSource === undefined) throw new Error('the weights carry word vectors: say where they come from (wordVectorSource)');
  const manifest: ArtifactManifest = {
    format: ARTIFACT_FORMAT,
    formatVersion: ARTIFACT_FORMAT_VERSION,
    ...rest,
    features: weights.networks.map((network) => network.features),
    networks: weights.networks.length,
    ...(weights.averaging === undefined ? {} : { averaging: weights.averaging }),
    ...(vectors !== undefined && wordVectorSource !== undefined ? { wordVectors: { source: wordVectorSource, dims: vectors.dims, words: vectors.words.length } } : {}),
    tensors: layout,
  };
  const json = Buffer.from(JSON.stringify(manifest), 'utf8');
  // JSON may end in spaces: they pad the manifest so that the tensors start 4-byte aligned in the file
  const header = MAGIC.length + 4 + json.length;
  const manifestBytes = Buffer.concat([json, Buffer.alloc(alignUp(header) - header, ' ')]);
  const length = Buffer.alloc(4);
  length.writeUInt32LE(manifestBytes.length, 0);
  const body = Buffer.alloc(offset);
  tensors.forEach((tensor, index) => body.set(new Uint8Array(tensor.data.buffer, tensor.data.byteOffset, tensor.data.byteLength), layout[index]!.offset));
  const content = Buffer.concat([MAGIC, length, manifestBytes, body]);
  const checksum = createHash('sha256').update(content).digest();
  return { bytes: gzipSync(Buffer.concat([content, checksum]), { level: 9 }), manifest };
}

const alignUp = (offset: number): number => Math.ceil(offset / 4) * 4;

function readTensor(body: Buffer, manifest: ArtifactManifest, name: string, dtype: Dtype): TensorData {
  const entry = manifest.tensors.find((tensor) => tensor.name === name);
  if (entry === undefined) throw new ArtifactError('incompatible', `tensor ${name} is missing`);
  if (entry.dtype !== dtype) throw new ArtifactError('incompatible', `tensor ${name} is ${entry.dtype}, expected ${dtype}`);
  if (entry.offset + entry.length > body.length) throw new ArtifactError('corrupt', `tensor ${name} runs past the end of the file`);
  const elements = entry.shape.reduce((product, size) => product * size, 1);
  const width = dtype === 'int8' || dtype === 'uint8' ? 1 : 4;
  if (elements * width !== entry.length) throw new ArtifactError('corrupt', `tensor ${name} has ${entry.length} bytes for shape ${entry.shape.join('×')}`);
  // tensors are views into the decompressed buffer, no copy; 4-byte types only when aligned
  // (artifacts written before tensors were aligned get a copy)
  const start = body.byteOffset + entry.offset;
  if (dtype === 'int8') return new Int8Array(body.buffer, start, entry.length);
  if (dtype === 'uint8') return new Uint8Array(body.buffer, start, entry.length);
  if (start % 4 === 0) return dtype === 'float32' ? new Float32Array(body.buffer, start, elements) : new Uint32Array(body.buffer, start, elements);
  const copy = new Uint8Array(body.subarray(entry.offset, entry.offset + entry.length)).slice().buffer;
  if (dtype === 'float32') return new Float32Array(copy);
  return new Uint32Array(copy);
}

function matrix(body: Buffer, manifest: ArtifactManifest, name: string): QuantizedMatrix {
  const values = readTensor(body, manifest, name, 'int8') as Int8Array;
  const scales = readTensor(body, manifest, `${name}Scales`, 'float32') as Float32Array;
  const shape = manifest.tensors.find((tensor) => tensor.name === name)!.shape;
  const [rows = 0, cols = 0] = shape;
  if (scales.length !== rows) throw new ArtifactError('corrupt', `tensor ${name}Scales does not match ${name}`);
  return { rows, cols, values, scales };
}

/**
 * gzip stores the uncompressed size (mod 2^32) in its last four bytes. Inflating into one chunk
 * of that size avoids zlib's final concatenation, which would briefly hold the model twice.
 */
export function outputChunkSize(compressed: Uint8Array): number {
  const fallback = 64 * 1024;
  if (compressed.length < 18) return fallback;
  const size = Buffer.from(compressed.buffer, compressed.byteOffset, compressed.byteLength).readUInt32LE(compressed.length - 4);
  // a damaged trailer must not make us allocate a huge chunk: int8 weights barely compress, so
  // anything far above the compressed size is not believable (zlib then just adds chunks)
  const believable = Math.min(256 * 2 ** 20, compressed.length * 4 + 2 ** 20);
  return size > 0 && size <= believable ? size + 1 : fallback;
}

/** Parses and verifies an artifact (gzip, or its inflated content); throws `ArtifactError` saying what is wrong. */
export function decodeArtifact(compressed: Uint8Array): DecodedArtifact {
  let content: Buffer;
  const view = Buffer.from(compressed.buffer, compressed.byteOffset, compressed.byteLength);
  if (view.subarray(0, MAGIC.length).equals(MAGIC)) {
    // already inflated (the file source streams the gzip into one buffer)
    content = view;
  } else {
    try {
      content = gunzipSync(compressed, { chunkSize: outputChunkSize(compressed) });
    } catch (error) {
      throw new ArtifactError('corrupt', `the artifact is not a valid gzip file (${(error as Error).message})`, { cause: error });
    }
  }
  if (content.length < MAGIC.length + 4 + CHECKSUM_BYTES || !content.subarray(0, MAGIC.length).equals(MAGIC)) {
    throw new ArtifactError('incompatible', 'the file is not an intent model artifact (bad magic bytes)');
  }
  const signed = content.subarray(0, content.length - CHECKSUM_BYTES);
  const expected = content.subarray(content.length - CHECKSUM_BYTES);
  const actual = createHash('sha256').update(signed).digest();
  if (!actual.equals(expected)) {
    throw new ArtifactError('checksum_mismatch', `checksum mismatch: the artifact says ${expected.toString('hex').slice(0, 16)}…, its content hashes to ${actual.toString('hex').slice(0, 16)}…`);
  }
  const manifestLength = signed.readUInt32LE(MAGIC.length);
  const manifestStart = MAGIC.length + 4;
  if (manifestStart + manifestLength > signed.length) throw new ArtifactError('corrupt', 'the manifest length runs past the end of the file');
  let raw: unknown;
  try {
    raw = JSON.parse(signed.subarray(manifestStart, manifestStart + manifestLength).toString('utf8'));
  } catch (error) {
    throw new ArtifactError('corrupt', 'the manifest is not valid JSON', { cause: error });
  }
  const version = z.object({ format: z.string(), formatVersion: z.number() }).safeParse(raw);
  if (!version.success || version.data.format !== ARTIFACT_FORMAT) {
    throw new ArtifactError('incompatible', `the manifest is not a ${ARTIFACT_FORMAT} manifest`);
  }
  if (!READABLE_FORMAT_VERSIONS.includes(version.data.formatVersion)) {
    throw new ArtifactError(
      'incompatible',
      `artifact format version ${version.data.formatVersion} is not supported by this gateway (it reads format versions ${READABLE_FORMAT_VERSIONS.join(', ')}); retrain with npm run train:intent or deploy a matching gateway`,
    );
  }
  const parsed = ArtifactManifestSchema.safeParse(raw);
  if (!parsed.success) throw new ArtifactError('incompatible', `the manifest is invalid: ${parsed.error.issues.map((issue) => `${issue.path.join('.')}: ${issue.message}`).join('; ')}`);
  const manifest = parsed.data;
  const body = signed.subarray(manifestStart + manifestLength);
  const networks: MlpNetwork[] = [];
  if (manifest.features.length !== manifest.networks) throw new ArtifactError('corrupt', `${manifest.networks} networks but ${manifest.features.length} feature configurations`);
  for (let index = 0; index < manifest.networks; index += 1) {
    const prefix = `network${index}.`;
    const featureIds = readTensor(body, manifest, `${prefix}featureIds`, 'uint32') as Uint32Array;
    const idf = readTensor(body, manifest, `${prefix}idf`, 'float32') as Float32Array;
    if (idf.length !== featureIds.length) throw new ArtifactError('corrupt', `network ${index}: idf does not match the feature rows`);
    const embedding = matrix(body, manifest, `${prefix}embedding`);
    const output = matrix(body, manifest, `${prefix}output`);
    const hiddenBias = readTensor(body, manifest, `${prefix}hiddenBias`, 'float32') as Float32Array;
    const outputBias = readTensor(body, manifest, `${prefix}outputBias`, 'float32') as Float32Array;
    if (embedding.rows !== featureIds.length || output.rows !== manifest.labels.length || output.cols !== embedding.cols) {
      throw new ArtifactError('corrupt', `network ${index} does not match the feature rows or labels`);
    }
    if (hiddenBias.length !== embedding.cols || outputBias.length !== output.rows) throw new ArtifactError('corrupt', `network ${index} has biases of the wrong size`);
    const features = manifest.features[index]!;
    let vectorInput: QuantizedMatrix | undefined;
    if (readsWordVectors(features)) {
      if (manifest.wordVectors === undefined) throw new ArtifactError('incompatible', `network ${index} reads word vectors but the artifact has none`);
      vectorInput = matrix(body, manifest, `${prefix}vectorInput`);
      if (vectorInput.rows !== wordVectorInputs(features, manifest.wordVectors.dims) || vectorInput.cols !== embedding.cols) throw new ArtifactError('corrupt', `network ${index}: the word-vector input does not match the vectors or the hidden layer`);
    }
    networks.push({ features, featureIds, idf, embedding, output, hiddenBias, outputBias, ...(vectorInput === undefined ? {} : { vectorInput }) });
  }
  const wordVectors = manifest.wordVectors === undefined ? undefined : readWordVectors(body, manifest, manifest.wordVectors);
  if (!manifest.labels.includes(manifest.outOfScopeLabel)) throw new ArtifactError('incompatible', `the labels do not include ${manifest.outOfScopeLabel}`);
  const weights = { networks, ...(manifest.averaging === undefined ? {} : { averaging: manifest.averaging }), ...(wordVectors === undefined ? {} : { wordVectors }) };
  return { manifest, weights, checksum: actual.toString('hex') };
}

function readWordVectors(body: Buffer, manifest: ArtifactManifest, info: { dims: number; words: number }): WordVectorTable {
  const bytes = readTensor(body, manifest, 'wordVectors.words', 'uint8') as Uint8Array;
  const words = Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength).toString('utf8').split('\n');
  const values = readTensor(body, manifest, 'wordVectors.values', 'int8') as Int8Array;
  const scales = readTensor(body, manifest, 'wordVectors.scales', 'float32') as Float32Array;
  const weights = manifest.tensors.some((tensor) => tensor.name === 'wordVectors.weights') ? (readTensor(body, manifest, 'wordVectors.weights', 'float32') as Float32Array) : undefined;
  if (words.length !== info.words || values.length !== info.words * info.dims || scales.length !== info.words || (weights !== undefined && weights.length !== info.words)) {
    throw new ArtifactError('corrupt', `the word vectors do not match the manifest (${info.words} words × ${info.dims})`);
  }
  return { dims: info.dims, words, values, scales, ...(weights === undefined ? {} : { weights }) };
}
