import {
  quantizeRows,
  readsWordVectors,
  textWords,
  wordVectorInputs,
  type EnsembleAveraging,
  type IntentModelWeights,
  type MlpNetwork,
  extractFeatures,
  type FeatureConfig,
} from '@review-assistant/cloud-gateway/intent';
import { WordVectors, type WordVectorTable, createRandom, shuffleInPlace } from '@review-assistant/shared';

/** One labelled training text; `label` indexes the label list. */
export interface TrainingExample {
  text: string;
  label: number;
}

/** Hyper-parameters of the hidden-layer network and its training. */
export interface TrainingOptions {
  /** One network per feature configuration; their probabilities are averaged. */
  features: FeatureConfig[];
  /** @default 42 */
  seed: number;
  /** Hidden units. */
  hidden: number;
  epochs: number;
  batchSize: number;
  learningRate: number;
  /** Fraction of hidden units dropped while training. */
  hiddenDropout: number;
  /** Fraction of input features dropped while training (word/char n-gram dropout). */
  inputDropout: number;
  /** Decoupled (AdamW) weight decay. */
  weightDecay: number;
  /** Features seen in fewer training texts are ignored. */
  minFeatureCount: number;
  /** Label smoothing of the cross-entropy target. */
  labelSmoothing: number;
  /**
   * Principal components of the pretrained word vectors kept (build time: the packed vectors are
   * projected on them, so the pooled inputs shrink to 2 × this). @default all (100)
   */
  wordVectorDims?: number | undefined;
  /** Fraction of words left out of the pooled word vectors while training. @default 0.2 */
  wordDropout?: number | undefined;
  /** How the members' outputs are combined at prediction time. @default 'probabilities' */
  averaging?: EnsembleAveraging | undefined;
  /** Called after each epoch of each member. */
  onProgress?: (progress: { member: number; epoch: number; loss: number; trainAccuracy: number }) => void;
}

export const defaultTrainingOptions: Omit<TrainingOptions, 'features'> = {
  seed: 42,
  hidden: 128,
  epochs: 8,
  batchSize: 32,
  learningRate: 0.01,
  hiddenDropout: 0.4,
  inputDropout: 0.2,
  weightDecay: 0.0,
  minFeatureCount: 2,
  labelSmoothing: 0.05,
};

interface Encoded {
  rows: Int32Array;
  values: Float32Array;
  /** Rows of the text's words in the word-vector table (networks with `features.wordVectors`). */
  wordRows: Int32Array;
  label: number;
}

function buildVocabulary(examples: TrainingExample[], features: FeatureConfig, options: TrainingOptions, vectors: WordVectors | undefined) {
  const sparse = examples.map((example) => extractFeatures(example.text, features));
  const documentFrequency = new Map<number, number>();
  for (const features of sparse) for (const id of features.ids) documentFrequency.set(id, (documentFrequency.get(id) ?? 0) + 1);
  const kept = [...documentFrequency.entries()].filter(([, count]) => count >= options.minFeatureCount).map(([id]) => id);
  const featureIds = Uint32Array.from(kept).sort();
  const rowOf = new Map<number, number>();
  featureIds.forEach((id, row) => rowOf.set(id, row));
  const idf = new Float32Array(featureIds.length);
  const total = examples.length;
  featureIds.forEach((id, row) => {
    idf[row] = Math.log((total + 1) / ((documentFrequency.get(id) ?? 0) + 1)) + 1;
  });
  const encoded: Encoded[] = sparse.map((features, index) => {
    const rows: number[] = [];
    const values: number[] = [];
    for (let position = 0; position < features.ids.length; position += 1) {
      const row = rowOf.get(features.ids[position]!);
      if (row === undefined) continue;
      rows.push(row);
      values.push(features.weights[position]! * idf[row]!);
    }
    const wordRows = vectors !== undefined ? Int32Array.from(vectors.rowsOf(textWords(examples[index]!.text))) : new Int32Array(0);
    return { rows: Int32Array.from(rows), values: Float32Array.from(values), wordRows, label: examples[index]!.label };
  });
  return { featureIds, idf, encoded };
}

function trainNetwork(
  encoded: Encoded[],
  featureRows: number,
  labels: number,
  options: TrainingOptions,
  member: number,
  vectors: WordVectors | undefined,
  vectorInputs: number,
): Omit<MlpNetwork, 'features' | 'featureIds' | 'idf'> {
  const random = createRandom(options.seed * 1000 + member);
  const width = options.hidden;
  const embedding = new Float32Array(featureRows * width);
  const embeddingRange = Math.sqrt(3) * 0.5;
  for (let index = 0; index < embedding.length; index += 1) embedding[index] = (random() * 2 - 1) * embeddingRange;
  const hiddenBias = new Float32Array(width);
  const output = new Float32Array(labels * width);
  const outputRange = Math.sqrt(6 / (width + labels));
  for (let index = 0; index < output.length; index += 1) output[index] = (random() * 2 - 1) * outputRange;
  const outputBias = new Float32Array(labels);
  // pooled word vectors (mean, then max unless it reads the mean alone) → hidden, when this
  // network has the word-vector view
  const vectorInput = new Float32Array(vectorInputs * width);
  const vectorRange = Math.sqrt(6 / (vectorInputs + width));
  for (let index = 0; index < vectorInput.length; index += 1) vectorInput[index] = (random() * 2 - 1) * vectorRange;
  const pooled = new Float32Array(vectors === undefined ? 0 : 2 * vectors.dims);
  const keptWords: number[] = [];
  const keepWord = 1 - (options.wordDropout ?? 0.2);

  // Adam state; the embedding is updated lazily (only rows touched by the batch), like LazyAdam.
  const embeddingM = new Float32Array(embedding.length);
  const embeddingV = new Float32Array(embedding.length);
  const dense = vectorInputs > 0 ? [hiddenBias, output, outputBias, vectorInput] : [hiddenBias, output, outputBias];
  const denseM = dense.map((tensor) => new Float32Array(tensor.length));
  const denseV = dense.map((tensor) => new Float32Array(tensor.length));
  const denseGrad = dense.map((tensor) => new Float32Array(tensor.length));
  const [gradHiddenBias, gradOutput, gradOutputBias] = denseGrad as [Float32Array, Float32Array, Float32Array];
  const gradVectorInput = denseGrad[3];
  const embeddingGrad = new Float32Array(embedding.length);
  const touchedStamp = new Int32Array(featureRows).fill(-1);
  const touched: number[] = [];

  const hiddenPre = new Float32Array(width);
  const hidden = new Float32Array(width);
  const mask = new Float32Array(width);
  const probabilities = new Float32Array(labels);
  const gradHidden = new Float32Array(width);
  const beta1 = 0.9;
  const beta2 = 0.999;
  const epsilon = 1e-8;
  let step = 0;
  const order = encoded.map((_, index) => index);
  const keepHidden = 1 - options.hiddenDropout;
  const keepInput = 1 - options.inputDropout;
  const rowsBuffer = new Int32Array(4096);
  const valuesBuffer = new Float32Array(4096);

  for (let epoch = 0; epoch < options.epochs; epoch += 1) {
    shuffleInPlace(order, random);
    let lossSum = 0;
    let correct = 0;
    const learningRate = options.learningRate * (epoch < options.epochs - 2 ? 1 : epoch === options.epochs - 2 ? 0.5 : 0.25);
    for (let batchStart = 0; batchStart < order.length; batchStart += options.batchSize) {
      const batchEnd = Math.min(order.length, batchStart + options.batchSize);
      const batchSize = batchEnd - batchStart;
      touched.length = 0;
      for (const gradient of denseGrad) gradient.fill(0);
      for (let position = batchStart; position < batchEnd; position += 1) {
        const example = encoded[order[position]!]!;
        // input dropout, then L2 normalisation of the kept tf-idf values
        let count = 0;
        let norm = 0;
        for (let index = 0; index < example.rows.length && count < rowsBuffer.length; index += 1) {
          if (keepInput < 1 && random() >= keepInput) continue;
          rowsBuffer[count] = example.rows[index]!;
          const value = example.values[index]!;
          valuesBuffer[count] = value;
          norm += value * value;
          count += 1;
        }
        const scale = norm > 0 ? 1 / Math.sqrt(norm) : 0;
        hiddenPre.set(hiddenBias);
        for (let index = 0; index < count; index += 1) {
          valuesBuffer[index] = valuesBuffer[index]! * scale;
          const factor = valuesBuffer[index]!;
          const base = rowsBuffer[index]! * width;
          for (let col = 0; col < width; col += 1) hiddenPre[col] = hiddenPre[col]! + factor * embedding[base + col]!;
        }
        if (vectors !== undefined) {
          keptWords.length = 0;
          for (const row of example.wordRows) if (keepWord >= 1 || random() < keepWord) keptWords.push(row);
          if (keptWords.length === 0) for (const row of example.wordRows) keptWords.push(row);
          vectors.pool(keptWords, pooled);
          for (let input = 0; input < vectorInputs; input += 1) {
            const value = pooled[input]!;
            if (value === 0) continue;
            const base = input * width;
            for (let col = 0; col < width; col += 1) hiddenPre[col] = hiddenPre[col]! + value * vectorInput[base + col]!;
          }
        }
        for (let col = 0; col < width; col += 1) {
          const keep = keepHidden >= 1 || random() < keepHidden ? 1 / keepHidden : 0;
          mask[col] = hiddenPre[col]! > 0 ? keep : 0;
          hidden[col] = hiddenPre[col]! * mask[col]!;
        }
        let largest = -Infinity;
        for (let label = 0; label < labels; label += 1) {
          const base = label * width;
          let sum = outputBias[label]!;
          for (let col = 0; col < width; col += 1) sum += hidden[col]! * output[base + col]!;
          probabilities[label] = sum;
          if (sum > largest) largest = sum;
        }
        let total = 0;
        let best = 0;
        for (let label = 1; label < labels; label += 1) if (probabilities[label]! > probabilities[best]!) best = label;
        for (let label = 0; label < labels; label += 1) {
          const value = Math.exp(probabilities[label]! - largest);
          probabilities[label] = value;
          total += value;
        }
        if (best === example.label) correct += 1;
        lossSum -= Math.log(Math.max(1e-12, probabilities[example.label]! / total));
        gradHidden.fill(0);
        const smooth = options.labelSmoothing / labels;
        for (let label = 0; label < labels; label += 1) {
          const target = (label === example.label ? 1 - options.labelSmoothing : 0) + smooth;
          const delta = (probabilities[label]! / total - target) / batchSize;
          gradOutputBias[label] = gradOutputBias[label]! + delta;
          const base = label * width;
          for (let col = 0; col < width; col += 1) {
            gradOutput[base + col] = gradOutput[base + col]! + delta * hidden[col]!;
            gradHidden[col] = gradHidden[col]! + delta * output[base + col]!;
          }
        }
        for (let col = 0; col < width; col += 1) {
          gradHidden[col] = gradHidden[col]! * mask[col]!;
          gradHiddenBias[col] = gradHiddenBias[col]! + gradHidden[col]!;
        }
        if (gradVectorInput !== undefined) {
          for (let input = 0; input < vectorInputs; input += 1) {
            const value = pooled[input]!;
            if (value === 0) continue;
            const base = input * width;
            for (let col = 0; col < width; col += 1) gradVectorInput[base + col] = gradVectorInput[base + col]! + value * gradHidden[col]!;
          }
        }
        for (let index = 0; index < count; index += 1) {
          const row = rowsBuffer[index]!;
          const base = row * width;
          if (touchedStamp[row] !== step) {
            touchedStamp[row] = step;
            touched.push(row);
            embeddingGrad.fill(0, base, base + width);
          }
          const factor = valuesBuffer[index]!;
          for (let col = 0; col < width; col += 1) embeddingGrad[base + col] = embeddingGrad[base + col]! + factor * gradHidden[col]!;
        }
      }
      step += 1;
      const correction1 = 1 - beta1 ** step;
      const correction2 = 1 - beta2 ** step;
      const stepSize = (learningRate * Math.sqrt(correction2)) / correction1;
      const decay = 1 - learningRate * options.weightDecay;
      for (let tensorIndex = 0; tensorIndex < dense.length; tensorIndex += 1) {
        const tensor = dense[tensorIndex]!;
        const gradient = denseGrad[tensorIndex]!;
        const m = denseM[tensorIndex]!;
        const v = denseV[tensorIndex]!;
        for (let index = 0; index < tensor.length; index += 1) {
          const g = gradient[index]!;
          m[index] = beta1 * m[index]! + (1 - beta1) * g;
          v[index] = beta2 * v[index]! + (1 - beta2) * g * g;
          tensor[index] = tensor[index]! * (tensorIndex === 1 ? decay : 1) - (stepSize * m[index]!) / (Math.sqrt(v[index]!) + epsilon);
        }
      }
      for (const row of touched) {
        const base = row * width;
        for (let col = base; col < base + width; col += 1) {
          const g = embeddingGrad[col]!;
          embeddingM[col] = beta1 * embeddingM[col]! + (1 - beta1) * g;
          embeddingV[col] = beta2 * embeddingV[col]! + (1 - beta2) * g * g;
          embedding[col] = embedding[col]! * decay - (stepSize * embeddingM[col]!) / (Math.sqrt(embeddingV[col]!) + epsilon);
        }
      }
    }
    options.onProgress?.({ member, epoch, loss: lossSum / encoded.length, trainAccuracy: correct / encoded.length });
  }
  return {
    embedding: quantizeRows(embedding, featureRows, width),
    hiddenBias,
    output: quantizeRows(output, labels, width),
    outputBias,
    ...(vectorInputs > 0 ? { vectorInput: quantizeRows(vectorInput, vectorInputs, width) } : {}),
  };
}

/** Trains the ensemble; deterministic for a given seed, data order and options. */
export function trainIntentModel(examples: TrainingExample[], labels: number, options: TrainingOptions, wordVectors?: WordVectorTable): IntentModelWeights {
  const usesVectors = options.features.some(readsWordVectors);
  if (usesVectors && wordVectors === undefined) throw new Error('a network has the word-vector view but no word vectors were given');
  const vectors = usesVectors ? new WordVectors(wordVectors!) : undefined;
  const networks: MlpNetwork[] = options.features.map((features, member) => {
    const memberVectors = readsWordVectors(features) ? vectors : undefined;
    const { featureIds, idf, encoded } = buildVocabulary(examples, features, options, memberVectors);
    const inputs = memberVectors === undefined ? 0 : wordVectorInputs(features, memberVectors.dims);
    return { features, featureIds, idf, ...trainNetwork(encoded, featureIds.length, labels, options, member, memberVectors, inputs) };
  });
  return { networks, ...(options.averaging === undefined ? {} : { averaging: options.averaging }), ...(usesVectors ? { wordVectors } : {}) };
}
