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
 * Looks up the hashed n-grams of an already normalised text in the network's rows. Pass `into`
 * to reuse buffers (the scorer does, so a prediction allocates almost nothing); they grow when a
 * text needs more. `counts` is a table to reuse for the counting.
 */
export function activeFeatures(
  normalized: string,
  weights: Pick<MlpNetwork, 'features' | 'featureIds' | 'idf'>,
  into?: ActiveFeatures,
  rowIndex?: FeatureRowIndex,
  counts = new FeatureCounts(),
): ActiveFeatures {
  countFeatures(normalized, weights.features, counts);
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
  /** The output layers dequantised once and transposed (hidden × labels floats each, small). */
  private readonly outputs: Float32Array[];
  /** Per label: the output bias plus the even-positioned active units' terms, and the odd ones'. */
  private readonly evenSums: Float64Array;
  private readonly oddSums: Float64Array;
  /** The positive hidden units of the current network, compacted. */
  private readonly activeCols: Int32Array;
  private readonly active: ActiveFeatures = { rows: new Int32Array(512), values: new Float32Array(512), count: 0 };
  private readonly rowIndexes: FeatureRowIndex[];
  /** The word-vector input layers dequantised once and transposed (hidden × 2 dims floats each, small). */
  private readonly vectorInputs: Array<Float32Array | undefined>;
  private readonly vectors: WordVectors | undefined;
  private readonly pooled: Float32Array;
  private readonly wordRows: number[] = [];
  /** The normalised text being scored, shared by the members, and their counting table. */
  private normalized = '';
  private readonly counts = new FeatureCounts(1024);

  constructor(private readonly weights: IntentModelWeights) {
    const first = weights.networks[0];
    if (first === undefined) throw new Error('the model has no network');
    this.labels = first.output.rows;
    this.hidden = new Float64Array(first.embedding.cols);
    this.logits = new Float64Array(this.labels);
    this.logitSums = new Float64Array(this.labels);
    this.rowIndexes = weights.networks.map(({ featureIds }) => new FeatureRowIndex(featureIds));
    this.outputs = weights.networks.map(({ output }) => dequantizeTransposed(output));
    this.evenSums = new Float64Array(this.labels);
    this.oddSums = new Float64Array(this.labels);
    this.activeCols = new Int32Array(first.embedding.cols);
    this.vectorInputs = weights.networks.map(({ vectorInput }) => (vectorInput === undefined ? undefined : dequantizeTransposed(vectorInput)));
    const needsVectors = weights.networks.some((network) => network.vectorInput !== undefined);
    if (needsVectors && weights.wordVectors === undefined) throw new Error('the model has word-vector networks but no word vectors');
    this.vectors = needsVectors ? new WordVectors(weights.wordVectors!) : undefined;
    this.pooled = new Float32Array(2 * (this.vectors?.dims ?? 0));
  }

  /**
   * The members' softmax probabilities, averaged (or the softmax of their averaged logits), into
   * `into` (a new array unless given; the classifier reuses one).
   */
  probabilities(text: string, into: Float32Array = new Float32Array(this.labels)): Float32Array {
    const labels = this.labels;
    const networks = this.weights.networks;
    const averageLogits = this.weights.averaging === 'logits';
    const sums = averageLogits ? this.logitSums : into;
    sums.fill(0);
    this.prepare(text);
    for (let index = 0; index < networks.length; index += 1) {
      const networkLogits = this.networkLogits(index);
      if (!averageLogits) softmaxInto(networkLogits, 1, networkLogits);
      for (let label = 0; label < labels; label += 1) sums[label] = sums[label]! + networkLogits[label]!;
    }
    if (averageLogits) {
      softmaxInto(this.logitSums, 1 / networks.length, into);
      return into;
    }
    for (let label = 0; label < labels; label += 1) into[label] = into[label]! / networks.length;
    return into;
  }

  /** One member's logits for a text (a copy): what `probabilities` combines, for tests and diagnostics. */
  memberLogits(text: string, member: number): Float64Array {
    if (member < 0 || member >= this.weights.networks.length) throw new RangeError(`no member ${member}`);
    this.prepare(text);
    return this.networkLogits(member).slice();
  }

  /** Normalises the text once for every network and pools its word vectors. */
  private prepare(text: string): void {
    this.normalized = normalizeText(text);
    if (this.vectors !== undefined) this.vectors.pool(this.vectors.rowsOf(wordsOf(this.normalized), this.wordRows), this.pooled);
  }

  /** Member `index`'s logits for the prepared text (a buffer reused by the next call). */
  private networkLogits(index: number): Float64Array {
    const network = this.weights.networks[index]!;
    // a network over the word vectors alone has no n-gram rows to look up
    const active = network.featureIds.length === 0 ? NO_FEATURES : activeFeatures(this.normalized, network, this.active, this.rowIndexes[index], this.counts);
    return this.logitsOf(network, this.outputs[index]!, this.vectorInputs[index], active);
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
    addScaledRows(hidden, values, scales, width, active);
    if (vectorInput !== undefined) addVectorInput(hidden, this.pooled, vectorInput, width);
    // output layer over the active hidden units only (ReLU zeroes about half of them), stored
    // transposed: each active unit adds its contiguous row of label weights into two partial sums
    // per label (even positions into the first, odd into the second, as a dot product per label
    // unrolled by two would), so each label's float64 sum is added up in the same order
    const labelWeights = output;
    const even = this.evenSums;
    const odd = this.oddSums;
    const outputBias = network.outputBias;
    for (let label = 0; label < labels; label += 1) {
      even[label] = outputBias[label]!;
      odd[label] = 0;
    }
    const activeCols = this.activeCols;
    let positive = 0;
    for (let col = 0; col < width; col += 1) {
      if (hidden[col]! > 0) {
        activeCols[positive] = col;
        positive += 1;
      }
    }
    // eight units per pass over the labels (four into each sum), then pairs, then the last one
    let index = 0;
    for (; index + 8 <= positive; index += 8) {
      const h0 = hidden[activeCols[index]!]!;
      const h1 = hidden[activeCols[index + 1]!]!;
      const h2 = hidden[activeCols[index + 2]!]!;
      const h3 = hidden[activeCols[index + 3]!]!;
      const h4 = hidden[activeCols[index + 4]!]!;
      const h5 = hidden[activeCols[index + 5]!]!;
      const h6 = hidden[activeCols[index + 6]!]!;
      const h7 = hidden[activeCols[index + 7]!]!;
      const b0 = activeCols[index]! * labels;
      const b1 = activeCols[index + 1]! * labels;
      const b2 = activeCols[index + 2]! * labels;
      const b3 = activeCols[index + 3]! * labels;
      const b4 = activeCols[index + 4]! * labels;
      const b5 = activeCols[index + 5]! * labels;
      const b6 = activeCols[index + 6]! * labels;
      const b7 = activeCols[index + 7]! * labels;
      for (let label = 0; label < labels; label += 1) {
        even[label] = even[label]! + h0 * labelWeights[b0 + label]! + h2 * labelWeights[b2 + label]! + h4 * labelWeights[b4 + label]! + h6 * labelWeights[b6 + label]!;
        odd[label] = odd[label]! + h1 * labelWeights[b1 + label]! + h3 * labelWeights[b3 + label]! + h5 * labelWeights[b5 + label]! + h7 * labelWeights[b7 + label]!;
      }
    }
    for (; index + 2 <= positive; index += 2) {
      const h0 = hidden[activeCols[index]!]!;
      const h1 = hidden[activeCols[index + 1]!]!;
      const b0 = activeCols[index]! * labels;
      const b1 = activeCols[index + 1]! * labels;
      for (let label = 0; label < labels; label += 1) {
        even[label] = even[label]! + h0 * labelWeights[b0 + label]!;
        odd[label] = odd[label]! + h1 * labelWeights[b1 + label]!;
      }
    }
    if (index < positive) {
      const h0 = hidden[activeCols[index]!]!;
      const b0 = activeCols[index]! * labels;
      for (let label = 0; label < labels; label += 1) even[label] = even[label]! + h0 * labelWeights[b0 + label]!;
    }
    const logits = this.logits;
    for (let label = 0; label < labels; label += 1) logits[label] = even[label]! + odd[label]!;
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

/** The matrix as floats, transposed (cols × rows), so that a column is contiguous. */
function dequantizeTransposed(matrix: QuantizedMatrix): Float32Array {
  const dense = new Float32Array(matrix.values.length);
  for (let row = 0; row < matrix.rows; row += 1) {
    const scale = matrix.scales[row]!;
    for (let col = 0; col < matrix.cols; col += 1) dense[col * matrix.rows + row] = matrix.values[row * matrix.cols + col]! * scale;
  }
  return dense;
}

/**
 * hidden[c] += value[i] × scale[row i] × values[row i][c] for each active row i in order. Eight
 * rows per pass over the columns: a column's sum is still added up row by row in the same order
 * (the same float64 roundings), but `hidden` is read and written once per eight rows, not per row.
 */
function addScaledRows(hidden: Float64Array, values: Int8Array, scales: Float32Array, width: number, active: ActiveFeatures): void {
  const rows = active.rows;
  const activeValues = active.values;
  const count = active.count;
  const grouped = count - (count % 8);
  let index = 0;
  for (; index < grouped; index += 8) {
    const f0 = activeValues[index]! * scales[rows[index]!]!;
    const f1 = activeValues[index + 1]! * scales[rows[index + 1]!]!;
    const f2 = activeValues[index + 2]! * scales[rows[index + 2]!]!;
    const f3 = activeValues[index + 3]! * scales[rows[index + 3]!]!;
    const f4 = activeValues[index + 4]! * scales[rows[index + 4]!]!;
    const f5 = activeValues[index + 5]! * scales[rows[index + 5]!]!;
    const f6 = activeValues[index + 6]! * scales[rows[index + 6]!]!;
    const f7 = activeValues[index + 7]! * scales[rows[index + 7]!]!;
    const b0 = rows[index]! * width;
    const b1 = rows[index + 1]! * width;
    const b2 = rows[index + 2]! * width;
    const b3 = rows[index + 3]! * width;
    const b4 = rows[index + 4]! * width;
    const b5 = rows[index + 5]! * width;
    const b6 = rows[index + 6]! * width;
    const b7 = rows[index + 7]! * width;
    for (let col = 0; col < width; col += 1) {
      hidden[col] = hidden[col]! + f0 * values[b0 + col]! + f1 * values[b1 + col]! + f2 * values[b2 + col]! + f3 * values[b3 + col]! + f4 * values[b4 + col]! + f5 * values[b5 + col]! + f6 * values[b6 + col]! + f7 * values[b7 + col]!;
    }
  }
  for (; index < count; index += 1) {
    const row = rows[index]!;
    const factor = activeValues[index]! * scales[row]!;
    const base = row * width;
    for (let col = 0; col < width; col += 1) hidden[col] = hidden[col]! + factor * values[base + col]!;
  }
}

/**
 * hidden[c] += Σᵢ pooled[i] · W[i][c], with W stored transposed (a hidden unit's weights
 * contiguous): one dot product per hidden unit in four partial sums (input i into sum i mod 4,
 * the inputs past the last multiple of four into the first), added to hidden[c] in that order.
 * Two units per pass, so that each pooled input is read once for both. The mean's inputs come
 * first: a network that reads only the mean has half as many.
 */
function addVectorInput(hidden: Float64Array, pooled: Float32Array, vectorInput: Float32Array, width: number): void {
  const inputs = vectorInput.length / width;
  const unrolledInputs = inputs - (inputs % 4);
  const pairedCols = width - (width % 2);
  let col = 0;
  for (; col < pairedCols; col += 2) {
    const base = col * inputs;
    const next = base + inputs;
    let sum0 = 0;
    let sum1 = 0;
    let sum2 = 0;
    let sum3 = 0;
    let other0 = 0;
    let other1 = 0;
    let other2 = 0;
    let other3 = 0;
    let input = 0;
    for (; input < unrolledInputs; input += 4) {
      const p0 = pooled[input]!;
      const p1 = pooled[input + 1]!;
      const p2 = pooled[input + 2]!;
      const p3 = pooled[input + 3]!;
      sum0 += p0 * vectorInput[base + input]!;
      sum1 += p1 * vectorInput[base + input + 1]!;
      sum2 += p2 * vectorInput[base + input + 2]!;
      sum3 += p3 * vectorInput[base + input + 3]!;
      other0 += p0 * vectorInput[next + input]!;
      other1 += p1 * vectorInput[next + input + 1]!;
      other2 += p2 * vectorInput[next + input + 2]!;
      other3 += p3 * vectorInput[next + input + 3]!;
    }
    for (; input < inputs; input += 1) {
      sum0 += pooled[input]! * vectorInput[base + input]!;
      other0 += pooled[input]! * vectorInput[next + input]!;
    }
    hidden[col] = hidden[col]! + sum0 + sum1 + sum2 + sum3;
    hidden[col + 1] = hidden[col + 1]! + other0 + other1 + other2 + other3;
  }
  for (; col < width; col += 1) {
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
