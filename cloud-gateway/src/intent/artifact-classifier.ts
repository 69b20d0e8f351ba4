import type { ScoredIntent } from '@review-assistant/shared';
import type { DecodedArtifact } from './artifact.js';
import type { IntentClassifier, IntentModelInfo, IntentPrediction } from './classifier.js';
import { MlpScorer } from './mlp-model.js';

/** Domain reported for out-of-scope texts (CLINC150's `oos` belongs to no domain). */
const OUT_OF_SCOPE_DOMAIN = 'oos';

/** `IntentClassifier` over a decoded artifact: the hidden-layer ensemble plus the oos threshold. */
export class ArtifactIntentClassifier implements IntentClassifier {
  readonly info: IntentModelInfo;
  private readonly scorer: MlpScorer;
  private readonly labels: string[];
  private readonly outOfScopeIndex: number;
  /** The probabilities of the text being predicted, reused by every prediction. */
  private readonly probabilities: Float32Array;

  constructor(
    private readonly artifact: Pick<DecodedArtifact, 'manifest' | 'weights'>,
    private readonly threshold = artifact.manifest.thresholds.confidence,
  ) {
    const { manifest } = artifact;
    this.scorer = new MlpScorer(artifact.weights);
    this.probabilities = new Float32Array(this.scorer.labels);
    this.labels = manifest.labels;
    this.outOfScopeIndex = manifest.labels.indexOf(manifest.outOfScopeLabel);
    this.info = {
      version: manifest.version,
      createdAt: manifest.createdAt,
      algorithm: manifest.algorithm,
      labels: manifest.labels.length,
      valMetrics: manifest.valMetrics,
    };
  }

  /** The manifest's intent → domain map. */
  get domains(): Readonly<Record<string, string>> {
    return this.artifact.manifest.domains;
  }

  predict(text: string, topK = 5): IntentPrediction {
    const probabilities = this.scorer.probabilities(text, this.probabilities);
    const order = topIndices(probabilities, Math.max(1, topK));
    const ranking: ScoredIntent[] = order.map((index) => ({
      name: this.labels[index]!,
      confidence: clamp(probabilities[index]!),
    }));
    const best = order[0]!;
    const confidence = ranking[0]!.confidence;
    const outOfScope = best === this.outOfScopeIndex || confidence < this.threshold;
    if (outOfScope) {
      const oosConfidence = best === this.outOfScopeIndex ? confidence : clamp(1 - confidence);
      return { intent: { name: this.labels[this.outOfScopeIndex]!, confidence: oosConfidence }, domain: OUT_OF_SCOPE_DOMAIN, outOfScope, ranking };
    }
    const name = this.labels[best]!;
    return { intent: { name, confidence }, domain: this.domains[name] ?? OUT_OF_SCOPE_DOMAIN, outOfScope, ranking };
  }
}

/**
 * Indices of the `count` largest values, largest first (ties: lower index first). One pass with a
 * small sorted list, instead of sorting all ~150 labels on every prediction.
 */
export function topIndices(values: Float32Array, count: number): number[] {
  const top: number[] = [];
  for (let index = 0; index < values.length; index += 1) {
    const value = values[index]!;
    const full = top.length === count;
    if (full && value <= values[top[count - 1]!]!) continue;
    // insertion by shifting the smaller ones down (splice would allocate the array it returns)
    let position = full ? count - 1 : top.length;
    for (; position > 0 && values[top[position - 1]!]! < value; position -= 1) {
      if (position < count) top[position] = top[position - 1]!;
    }
    if (full || position < top.length) top[position] = index;
    else top.push(index);
  }
  return top;
}

function clamp(value: number): number {
  return Math.min(1, Math.max(0, value));
}
