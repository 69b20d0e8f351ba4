import { WordVectors, type WordVectorTable } from '@review-assistant/shared';
import { FeatureCounts } from './feature-counts.js';
import { countFeatures, normalizeText, type FeatureConfig } from './text-features.js';

/** A row-wise int8-quantised matrix: value(r, c) = values[r * cols + c] * scales[r]. */
export interface QuantizedMatrix {
  rows: number;
  cols: number;
  values: Int8Array;
  scales: Float32Array;
}

/**
 * One member of the ensemble: its own n-gram features → ReLU hidden layer → softmax over the
 * labels. Members differ in their feature sets, which is what makes averaging them pay off.
 */
export interface MlpNetwork {
  features: FeatureConfig;
  /** Hashed feature ids seen in training, sorted ascending; index = embedding row. */
  featureIds: Uint32Array;
  /** Inverse document frequency per feature row. */
  idf: Float32Array;
  /** One row per known feature, `hidden` columns. */
  embedding: QuantizedMatrix;
  hiddenBias: Float32Array;
  /** One row per label, `hidden` columns. */
  output: QuantizedMatrix;
  outputBias: Float32Array;
  /**
   * With `features.wordVectors`: one row per pooled word-vector input (the mean's dimensions,
   * then the max's unless the network reads the mean alone), `hidden` columns, added to the
   * hidden layer.
   */
  vectorInput?: QuantizedMatrix | undefined;
}

/**
 * How the members' outputs are combined: the mean of their softmax probabilities, or the softmax
 * of the mean of their logits (the normalised geometric mean of the probabilities: a label needs
 * every member's support, which separates out-of-scope texts better; artifact format 4).
 */
export type EnsembleAveraging = 'probabilities' | 'logits';

/** Everything the classifier needs to score a text. */
export interface IntentModelWeights {
  networks: MlpNetwork[];
  /** @default 'probabilities' */
  averaging?: EnsembleAveraging | undefined;
  /** The packed word vectors the `wordVectors` networks read. */
  wordVectors?: WordVectorTable | undefined;
}

/** The words of a text as the word-vector view sees them (the n-gram features' normalisation). */
export function textWords(text: string): string[] {
  return wordsOf(normalizeText(text));
}

function wordsOf(normalized: string): string[] {
  return normalized.length === 0 ? [] : normalized.split(' ');
}

export function quantizeRows(source: Float32Array, rows: number, cols: number): QuantizedMatrix {
  const values = new Int8Array(rows * cols);
  const scales = new Float32Array(rows);
  for (let row = 0; row < rows; row += 1) {
    let largest = 0;
    const base = row * cols;
    for (let col = 0; col < cols; col += 1) largest = Math.max(largest, Math.abs(source[base + col]!));
    const scale = largest === 0 ? 1 : largest / 127;
    scales[row] = scale;
    for (let col = 0; col < cols; col += 1) values[base + col] = Math.round(source[base + col]! / scale);
  }
  return { rows, cols, values, scales };
}

function findRow(sorted: Uint32Array, id: number): number {
  let low = 0;
  let high = sorted.length - 1;
  while (low <= high) {
    const middle = (low + high) >>> 1;
    const value = sorted[middle]!;
    if (value === id) return middle;
    if (value < id) low = middle + 1;
    else high = middle - 1;
  }
  return -1;
}

/**
 * Open-addressing hash table from hashed feature id to embedding row, built once at load: a
 * lookup is one or two probes instead of a ~15-step binary search over the sorted ids. Slots hold
 * rows only; a slot's id is read from the network's own `featureIds`, so the table costs 4 bytes
 * per slot instead of 8.
 */
export class FeatureRowIndex {
  /** row + 1; 0 marks an empty slot. */
  private readonly rows: Int32Array;
  private readonly mask: number;

  constructor(private readonly featureIds: Uint32Array) {
    let size = 1;
    while (size < featureIds.length * 2) size *= 2;
    this.rows = new Int32Array(size);
    this.mask = size - 1;
    featureIds.forEach((id, row) => {
      let slot = FeatureRowIndex.slotOf(id) & this.mask;
      while (this.rows[slot] !== 0) slot = (slot + 1) & this.mask;
      this.rows[slot] = row + 1;
    });
  }

  private static slotOf(id: number): number {
    return Math.imul(id ^ (id >>> 16), 0x45d9f3b) >>> 0;
  }

  /** The row of a feature id, or -1. */
  rowOf(id: number): number {
    let slot = FeatureRowIndex.slotOf(id) & this.mask;
    for (;;) {
      const row = this.rows[slot]!;
      if (row === 0) return -1;
      if (this.featureIds[row - 1] === id) return row - 1;
      slot = (slot + 1) & this.mask;
    }
  }
}

/** Known feature rows of a text and their L2-normalised tf-idf values. */
export interface ActiveFeatures {
  rows: Int32Array;
  values: Float32Array;
  /** How many entries of `rows`/`values` are in use. */
  count: number;
}

/**
 * Looks up the text's hashed n-grams in the network's rows. Pass `into` to reuse buffers (the
 * scorer does, so a prediction allocates almost nothing); they grow when a text needs more.
 * `normalized` says the text is already normalised, `counts` is a table to reuse for the counting.
 */
export function activeFeatures(
  text: string,
  weights: Pick<MlpNetwork, 'features' | 'featureIds' | 'idf'>,
  into?: ActiveFeatures,
  rowIndex?: FeatureRowIndex,
  reuse?: { normalized: string; counts: FeatureCounts },
): ActiveFeatures {
  const counts = countFeatures(reuse?.normalized ?? normalizeText(text), weights.features, reuse?.counts ?? new FeatureCounts());
  const target = into ?? { rows: new Int32Array(counts.size), values: new Float32Array(counts.size), count: 0 };
  if (target.rows.length < counts.size) {
    target.rows = new Int32Array(counts.size * 2);
    target.values = new Float32Array(counts.size * 2);
  }
  const { rows, values } = target;
  const featureIds = weights.featureIds;
  const idf = weights.idf;
  let count = 0;
  let norm = 0;
  const ids = counts.ids;
  const occurrencesOf = counts.counts;
  // first-seen order, as the Map it replaced iterated: the float sums below come out the same
  for (let entry = 0; entry < counts.size; entry += 1) {
    const id = ids[entry]!;
    const occurrences = occurrencesOf[entry]!;
    const row = rowIndex === undefined ? findRow(featureIds, id) : rowIndex.rowOf(id);
    if (row < 0) continue;
    // sublinear tf; most grams occur once, and ln 1 = 0 needs no call
    const value = (occurrences === 1 ? 1 : 1 + Math.log(occurrences)) * idf[row]!;
    rows[count] = row;
    values[count] = value;
    norm += value * value;
    count += 1;
  }
  const scale = norm > 0 ? 1 / Math.sqrt(norm) : 0;
  for (let index = 0; index < count; index += 1) values[index] = values[index]! * scale;
  target.count = count;
  return target;
}

const NO_FEATURES: ActiveFeatures = { rows: new Int32Array(0), values: new Float32Array(0), count: 0 };

/** Scores texts with the quantised ensemble; allocation-light so p99 stays well under 1 ms. */
export class MlpScorer {
  readonly labels: number;
  private readonly hidden: Float64Array;
  private readonly logits: Float64Array;
  /** With logit averaging: the members' logits summed, for the current text. */
  private readonly logitSums: Float64Array;
  /** The output layers dequantised once (labels × hidden floats each, small). */
  private readonly outputs: Float32Array[];
  /** The positive hidden units of the current network, compacted: their indices and values. */
  private readonly activeCols: Int32Array;
  private readonly activeHidden: Float64Array;
  private readonly active: ActiveFeatures = { rows: new Int32Array(512), values: new Float32Array(512), count: 0 };
  private readonly rowIndexes: FeatureRowIndex[];
  /** The word-vector input layers dequantised once and transposed (hidden × 2 dims floats each, small). */
  private readonly vectorInputs: Array<Float32Array | undefined>;
  private readonly vectors: WordVectors | undefined;
  private readonly pooled: Float32Array;
  private readonly wordRows: number[] = [];
  private readonly counts = new FeatureCounts(1024);

  constructor(private readonly weights: IntentModelWeights) {
    const first = weights.networks[0];
    if (first === undefined) throw new Error('the model has no network');
    this.labels = first.output.rows;
    this.hidden = new Float64Array(first.embedding.cols);
    this.logits = new Float64Array(this.labels);
    this.logitSums = new Float64Array(this.labels);
    this.rowIndexes = weights.networks.map(({ featureIds }) => new FeatureRowIndex(featureIds));
    this.outputs = weights.networks.map(({ output }) => dequantize(output));
    this.activeCols = new Int32Array(first.embedding.cols);
    this.activeHidden = new Float64Array(first.embedding.cols);
    this.vectorInputs = weights.networks.map(({ vectorInput }) => (vectorInput === undefined ? undefined : dequantizeTransposed(vectorInput)));
    const needsVectors = weights.networks.some((network) => network.vectorInput !== undefined);
    if (needsVectors && weights.wordVectors === undefined) throw new Error('the model has word-vector networks but no word vectors');
    this.vectors = needsVectors ? new WordVectors(weights.wordVectors!) : undefined;
    this.pooled = new Float32Array(2 * (this.vectors?.dims ?? 0));
  }

  /** The members' softmax probabilities, averaged (or the softmax of their averaged logits). */
  probabilities(text: string): Float32Array {
    const result = new Float32Array(this.labels);
    const logits = this.weights.averaging === 'logits';
    if (logits) this.logitSums.fill(0);
    // normalised once for every network and the word vectors
    const reuse = { normalized: normalizeText(text), counts: this.counts };
    if (this.vectors !== undefined) this.vectors.pool(this.vectors.rowsOf(wordsOf(reuse.normalized), this.wordRows), this.pooled);
    this.weights.networks.forEach((network, index) => {
      // a network over the word vectors alone has no n-gram rows to look up
      const active = network.featureIds.length === 0 ? NO_FEATURES : activeFeatures(text, network, this.active, this.rowIndexes[index], reuse);
      const networkLogits = this.logitsOf(network, this.outputs[index]!, this.vectorInputs[index], active);
      if (!logits) softmaxInto(networkLogits, 1, networkLogits);
      const sums = logits ? this.logitSums : result;
      for (let label = 0; label < this.labels; label += 1) sums[label] = sums[label]! + networkLogits[label]!;
    });
    const members = this.weights.networks.length;
    if (logits) {
      softmaxInto(this.logitSums, 1 / members, result);
      return result;
    }
    for (let label = 0; label < this.labels; label += 1) result[label] = result[label]! / members;
    return result;
  }

  /** The network's logits for the current text (a buffer reused by the next call). */
  private logitsOf(network: MlpNetwork, output: Float32Array, vectorInput: Float32Array | undefined, active: ActiveFeatures): Float64Array {
    const values = network.embedding.values;
    const scales = network.embedding.scales;
    const width = network.embedding.cols;
    const labels = this.labels;
    const hidden = this.hidden;
    const bias = network.hiddenBias;
    for (let col = 0; col < width; col += 1) hidden[col] = bias[col]!;
    const rows = active.rows;
    const activeValues = active.values;
    for (let index = 0; index < active.count; index += 1) {
      const row = rows[index]!;
      addScaledRow(hidden, values, row * width, width, activeValues[index]! * scales[row]!);
    }
    if (vectorInput !== undefined) {
      // hidden[c] += Σᵢ pooled[i] · W[i][c], with W stored transposed: one dot product per hidden
      // unit, accumulated in registers (four partial sums) instead of 2 × dims passes over `hidden`
      const pooled = this.pooled;
      // the mean's inputs come first: a network that reads only the mean stops there
      const inputs = vectorInput.length / width;
      const unrolledInputs = inputs - (inputs % 4);
      for (let col = 0; col < width; col += 1) {
        const base = col * inputs;
        let sum0 = 0;
        let sum1 = 0;
        let sum2 = 0;
        let sum3 = 0;
        let input = 0;
        for (; input < unrolledInputs; input += 4) {
          sum0 += pooled[input]! * vectorInput[base + input]!;
          sum1 += pooled[input + 1]! * vectorInput[base + input + 1]!;
          sum2 += pooled[input + 2]! * vectorInput[base + input + 2]!;
          sum3 += pooled[input + 3]! * vectorInput[base + input + 3]!;
        }
        for (; input < inputs; input += 1) sum0 += pooled[input]! * vectorInput[base + input]!;
        hidden[col] = hidden[col]! + sum0 + sum1 + sum2 + sum3;
      }
    }
    // output layer over the active hidden units only (ReLU zeroes about half of them): one dot
    // product per label over the compacted active units, accumulated in registers
    const activeCols = this.activeCols;
    const activeHidden = this.activeHidden;
    let positive = 0;
    for (let col = 0; col < width; col += 1) {
      const activation = hidden[col]!;
      if (activation > 0) {
        activeCols[positive] = col;
        activeHidden[positive] = activation;
        positive += 1;
      }
    }
    const logits = this.logits;
    const outputBias = network.outputBias;
    const unrolledPositive = positive - (positive % 2);
    for (let label = 0; label < labels; label += 1) {
      const base = label * width;
      let sum0 = outputBias[label]!;
      let sum1 = 0;
      let index = 0;
      for (; index < unrolledPositive; index += 2) {
        sum0 += activeHidden[index]! * output[base + activeCols[index]!]!;
        sum1 += activeHidden[index + 1]! * output[base + activeCols[index + 1]!]!;
      }
      if (index < positive) sum0 += activeHidden[index]! * output[base + activeCols[index]!]!;
      logits[label] = sum0 + sum1;
    }
    return logits;
  }
}

/** into = softmax(scale × logits); `into` may be `logits`. */
function softmaxInto(logits: Float64Array, scale: number, into: Float32Array | Float64Array): void {
  const labels = logits.length;
  let largest = -Infinity;
  for (let label = 0; label < labels; label += 1) if (logits[label]! > largest) largest = logits[label]!;
  let total = 0;
  for (let label = 0; label < labels; label += 1) {
    const value = Math.exp((logits[label]! - largest) * scale);
    into[label] = value;
    total += value;
  }
  const inverse = 1 / total;
  for (let label = 0; label < labels; label += 1) into[label] = into[label]! * inverse;
}

function dequantize(matrix: QuantizedMatrix): Float32Array {
  const dense = new Float32Array(matrix.values.length);
  for (let index = 0; index < dense.length; index += 1) dense[index] = matrix.values[index]! * matrix.scales[Math.floor(index / matrix.cols)]!;
  return dense;
}

/** The matrix as floats, transposed (cols × rows), so that a column is contiguous. */
function dequantizeTransposed(matrix: QuantizedMatrix): Float32Array {
  const dense = new Float32Array(matrix.values.length);
  for (let row = 0; row < matrix.rows; row += 1) {
    const scale = matrix.scales[row]!;
    for (let col = 0; col < matrix.cols; col += 1) dense[col * matrix.rows + row] = matrix.values[row * matrix.cols + col]! * scale;
  }
  return dense;
}

/** hidden[c] += factor × values[base + c] for c < width, unrolled by four. */
function addScaledRow(hidden: Float64Array, values: Int8Array, base: number, width: number, factor: number): void {
  const unrolled = width - (width % 4);
  let col = 0;
  for (; col < unrolled; col += 4) {
    hidden[col] = hidden[col]! + factor * values[base + col]!;
    hidden[col + 1] = hidden[col + 1]! + factor * values[base + col + 1]!;
    hidden[col + 2] = hidden[col + 2]! + factor * values[base + col + 2]!;
    hidden[col + 3] = hidden[col + 3]! + factor * values[base + col + 3]!;
  }
  for (; col < width; col += 1) hidden[col] = hidden[col]! + factor * values[base + col]!;
}
