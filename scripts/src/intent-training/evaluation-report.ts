import { ArtifactIntentClassifier, type DecodedArtifact } from '@review-assistant/cloud-gateway/intent';
import type { ClincSplit } from './clinc-data.js';
import { collectPredictions, metricsAt, type IntentMetrics } from './evaluation.js';

/**
 * Evaluates a decoded artifact on a CLINC split with the artifact's own threshold. A warm-up pass
 * runs first so the latency percentiles describe the steady state, as in the gateway.
 */
export function evaluateArtifact(artifact: Pick<DecodedArtifact, 'manifest' | 'weights'>, split: ClincSplit): IntentMetrics {
  const raw = new ArtifactIntentClassifier(artifact, 0);
  const warmUp = { inScope: split.inScope.slice(0, 300), outOfScope: split.outOfScope.slice(0, 50) };
  collectPredictions(raw, warmUp, artifact.manifest.outOfScopeLabel);
  const predictions = collectPredictions(raw, split, artifact.manifest.outOfScopeLabel);
  return metricsAt(predictions, artifact.manifest.thresholds.confidence, artifact.manifest.domains, artifact.manifest.outOfScopeLabel);
}

const percent = (value: number): string => `${(value * 100).toFixed(2)}%`;

/** Markdown: the headline figures, then one row per domain. */
export function metricsMarkdown(metrics: IntentMetrics): string {
  const lines = [
    '| metric | value |',
    '| --- | ---: |',
    `| texts (in-scope / oos) | ${metrics.inScopeTexts} / ${metrics.outOfScopeTexts} |`,
    `| confidence threshold | ${metrics.threshold.toFixed(3)} |`,
    `| in-scope accuracy | ${percent(metrics.inScopeAccuracy)} |`,
    `| oos recall | ${percent(metrics.oosRecall)} |`,
    `| oos precision | ${percent(metrics.oosPrecision)} |`,
    `| macro-F1 (intents + oos) | ${percent(metrics.macroF1)} |`,
    `| latency p50 / p99 (in process) | ${metrics.latencyP50Ms.toFixed(3)} ms / ${metrics.latencyP99Ms.toFixed(3)} ms |`,
    '',
    '| domain | texts | accuracy |',
    '| --- | ---: | ---: |',
    ...metrics.perDomain.map((row) => `| ${row.domain} | ${row.texts} | ${percent(row.accuracy)} |`),
  ];
  return lines.join('\n');
}
