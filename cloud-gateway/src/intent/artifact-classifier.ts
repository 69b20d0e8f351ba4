import type { ScoredIntent } from '@review-assistant/shared';
import type { DecodedArtifact } from './artifact.js';
import type { IntentClassifier, IntentModelInfo, IntentPrediction } from './classifier.js';
import { MlpScorer } from './mlp-model.js';

/** Domain reported for out-of-scope texts (CLINC150's `oos` belongs to no domain). */
export const OUT_OF_SCOPE_DOMAIN = 'oos';

/** `IntentClassifier` over a decoded artifact: the hidden-layer ensemble plus the oos threshold. */
export class ArtifactIntentClassifier implements IntentClassifier {
  readonly info: IntentModelInfo;
  private readonly scorer: MlpScorer;
  private readonly labels: string[];
  private readonly outOfScopeIndex: number;

  constructor(
    private readonly artifact: Pick<DecodedArtifact, 'manifest' | 'weights'>,
    private readonly threshold = artifact.manifest.thresholds.confidence,
  ) {
    const { manifest } = artifact;
    this.scorer = new MlpScorer(artifact.weights);
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
    const probabilities = this.scorer.probabilities(text);
    const order = Array.from(probabilities.keys()).sort((left, right) => probabilities[right]! - probabilities[left]! || left - right);
    const ranking: ScoredIntent[] = order.slice(0, Math.max(1, topK)).map((index) => ({
      name: this.labels[index]!,
      confidence: clamp(probabilities[index]!),
    }));
    const best = order[0]!;
    const confidence = clamp(probabilities[best]!);
    const outOfScope = best === this.outOfScopeIndex || confidence < this.threshold;
    if (outOfScope) {
      const oosConfidence = best === this.outOfScopeIndex ? confidence : clamp(1 - confidence);
      return { intent: { name: this.labels[this.outOfScopeIndex]!, confidence: oosConfidence }, domain: OUT_OF_SCOPE_DOMAIN, outOfScope, ranking };
    }
    const name = this.labels[best]!;
    return { intent: { name, confidence }, domain: this.domains[name] ?? OUT_OF_SCOPE_DOMAIN, outOfScope, ranking };
  }
}

function clamp(value: number): number {
  return Math.min(1, Math.max(0, value));
}
