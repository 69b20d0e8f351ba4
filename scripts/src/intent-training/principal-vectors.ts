/**
 * Principal-component projection of pretrained word vectors (build time only): the vectors are
 * centred on the mean of a word set and projected on its `dims` directions of largest variance.
 * The pooled word-vector inputs of the intent networks shrink with them (mean + max of `dims`
 * values instead of 100 each), which is where most of predict()'s dense arithmetic goes; centring
 * also removes the direction every GloVe vector shares.
 */
import { EigenvalueDecomposition, Matrix } from 'ml-matrix';
import type { SourceVectors } from '../word-vectors/wink-vectors.js';

function unit(vector: ArrayLike<number>): Float64Array {
  const result = Float64Array.from(vector);
  let norm = 0;
  for (const value of result) norm += value * value;
  const inverse = norm > 0 ? 1 / Math.sqrt(norm) : 0;
  for (let index = 0; index < result.length; index += 1) result[index] = result[index]! * inverse;
  return result;
}

/**
 * The source with every vector replaced by its first `dims` principal components over `words`
 * (unit-length vectors, centred; components by descending variance, each with a deterministic
 * sign: its largest coefficient positive). The words and their order stay the same.
 */
export function principalComponents(source: SourceVectors, words: Iterable<string>, dims: number): SourceVectors {
  if (!Number.isInteger(dims) || dims < 1 || dims > source.dims) throw new RangeError(`principal components: ${dims} of ${source.dims} dimensions`);
  const vectors: Float64Array[] = [];
  for (const word of words) {
    const vector = source.vectorOf(word);
    if (vector !== undefined) vectors.push(unit(vector));
  }
  if (vectors.length <= source.dims) throw new RangeError(`principal components: ${vectors.length} vectors are too few for ${source.dims} dimensions`);
  const size = source.dims;
  const mean = new Float64Array(size);
  for (const vector of vectors) for (let dim = 0; dim < size; dim += 1) mean[dim] = mean[dim]! + vector[dim]! / vectors.length;
  const covariance = Matrix.zeros(size, size);
  for (const vector of vectors) {
    for (let row = 0; row < size; row += 1) {
      const centred = vector[row]! - mean[row]!;
      for (let col = row; col < size; col += 1) covariance.set(row, col, covariance.get(row, col) + centred * (vector[col]! - mean[col]!));
    }
  }
  for (let row = 0; row < size; row += 1) for (let col = 0; col < row; col += 1) covariance.set(row, col, covariance.get(col, row));
  const decomposition = new EigenvalueDecomposition(covariance, { assumeSymmetric: true });
  const order = decomposition.realEigenvalues.map((value, index) => ({ value, index })).sort((a, b) => b.value - a.value || a.index - b.index);
  const basis = order.slice(0, dims).map(({ index }) => {
    const component = Float64Array.from(decomposition.eigenvectorMatrix.getColumn(index));
    let largest = 0;
    for (let dim = 0; dim < size; dim += 1) if (Math.abs(component[dim]!) > Math.abs(component[largest]!)) largest = dim;
    if (component[largest]! < 0) for (let dim = 0; dim < size; dim += 1) component[dim] = -component[dim]!;
    return component;
  });
  return {
    source: source.source,
    dims,
    words: source.words,
    vectorOf: (word) => {
      const vector = source.vectorOf(word);
      if (vector === undefined) return undefined;
      const centred = unit(vector);
      for (let dim = 0; dim < size; dim += 1) centred[dim] = centred[dim]! - mean[dim]!;
      return basis.map((component) => {
        let sum = 0;
        for (let dim = 0; dim < size; dim += 1) sum += component[dim]! * centred[dim]!;
        return sum;
      });
    },
  };
}
