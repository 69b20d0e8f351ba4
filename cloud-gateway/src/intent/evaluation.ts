import type { IntentClassifier } from './classifier.js';
import type { ClincSplit } from './clinc-data.js';

/** The raw top label of one evaluated text (threshold not yet applied). */
export interface RawPrediction {
  gold: string;
  top: string;
  confidence: number;
  latencyMs: number;
}

export interface DomainRow {
  domain: string;
  texts: number;
  accuracy: number;
}

export interface IntentMetrics {
  threshold: number;
  inScopeTexts: number;
  outOfScopeTexts: number;
  /** Share of in-scope texts given their exact intent (a text called out of scope counts as wrong). */
  inScopeAccuracy: number;
  /** Share of out-of-scope texts called out of scope. */
  oosRecall: number;
  /** Share of texts called out of scope that really are. */
  oosPrecision: number;
  /** Macro-F1 over every label that occurs (the intents plus oos). */
  macroF1: number;
  perDomain: DomainRow[];
  latencyP50Ms: number;
  latencyP99Ms: number;
}

function nearestRank(sorted: number[], p: number): number {
  if (sorted.length === 0) return Number.NaN;
  return sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1))]!;
}

/** Runs the classifier over a split. The classifier should use threshold 0 so `top` is raw. */
export function collectPredictions(classifier: IntentClassifier, split: ClincSplit, outOfScopeLabel = 'oos'): RawPrediction[] {
  const all = [...split.inScope, ...split.outOfScope.map(([text]) => [text, outOfScopeLabel] as [string, string])];
  return all.map(([text, gold]) => {
    const started = performance.now();
    const prediction = classifier.predict(text, 1);
    const latencyMs = performance.now() - started;
    const top = prediction.ranking[0]!;
    return { gold, top: top.name, confidence: top.confidence, latencyMs };
  });
}

/** Metrics when texts whose top confidence is below `threshold` are called out of scope. */
export function metricsAt(
  predictions: RawPrediction[],
  threshold: number,
  domains: Readonly<Record<string, string>>,
  outOfScopeLabel = 'oos',
): IntentMetrics {
  const decided = predictions.map((prediction) => ({
    gold: prediction.gold,
    predicted: prediction.top === outOfScopeLabel || prediction.confidence < threshold ? outOfScopeLabel : prediction.top,
  }));
  const inScope = decided.filter((item) => item.gold !== outOfScopeLabel);
  const outOfScope = decided.filter((item) => item.gold === outOfScopeLabel);
  const calledOut = decided.filter((item) => item.predicted === outOfScopeLabel);
  const truePositive = new Map<string, number>();
  const predictedCount = new Map<string, number>();
  const goldCount = new Map<string, number>();
  for (const item of decided) {
    goldCount.set(item.gold, (goldCount.get(item.gold) ?? 0) + 1);
    predictedCount.set(item.predicted, (predictedCount.get(item.predicted) ?? 0) + 1);
    if (item.gold === item.predicted) truePositive.set(item.gold, (truePositive.get(item.gold) ?? 0) + 1);
  }
  let f1Sum = 0;
  for (const [label, gold] of goldCount) {
    const hits = truePositive.get(label) ?? 0;
    const precision = hits === 0 ? 0 : hits / (predictedCount.get(label) ?? 1);
    const recall = hits / gold;
    f1Sum += precision + recall === 0 ? 0 : (2 * precision * recall) / (precision + recall);
  }
  const byDomain = new Map<string, { texts: number; correct: number }>();
  for (const item of inScope) {
    const domain = domains[item.gold] ?? 'unknown';
    const row = byDomain.get(domain) ?? { texts: 0, correct: 0 };
    row.texts += 1;
    if (item.predicted === item.gold) row.correct += 1;
    byDomain.set(domain, row);
  }
  const latencies = predictions.map((prediction) => prediction.latencyMs).sort((left, right) => left - right);
  return {
    threshold,
    inScopeTexts: inScope.length,
    outOfScopeTexts: outOfScope.length,
    inScopeAccuracy: inScope.length === 0 ? 0 : inScope.filter((item) => item.predicted === item.gold).length / inScope.length,
    oosRecall: outOfScope.length === 0 ? 0 : outOfScope.filter((item) => item.predicted === outOfScopeLabel).length / outOfScope.length,
    oosPrecision: calledOut.length === 0 ? 0 : calledOut.filter((item) => item.gold === outOfScopeLabel).length / calledOut.length,
    macroF1: goldCount.size === 0 ? 0 : f1Sum / goldCount.size,
    perDomain: [...byDomain.entries()]
      .map(([domain, row]) => ({ domain, texts: row.texts, accuracy: row.correct / row.texts }))
      .sort((left, right) => left.domain.localeCompare(right.domain)),
    latencyP50Ms: nearestRank(latencies, 50),
    latencyP99Ms: nearestRank(latencies, 99),
  };
}

/**
 * Picks the confidence threshold on validation predictions: the one that maximises
 * in-scope accuracy + `oosWeight` × oos recall, among thresholds that keep in-scope accuracy
 * within `maxAccuracyDrop` (default half a point) of the no-threshold accuracy. The default
 * weight is (oos texts / in-scope texts), which makes the score the plain accuracy over all
 * validation texts: every text, in scope or not, counts once.
 */
export function tuneThreshold(
  predictions: RawPrediction[],
  domains: Readonly<Record<string, string>>,
  options: { oosWeight?: number; maxAccuracyDrop?: number; outOfScopeLabel?: string } = {},
): { threshold: number; metrics: IntentMetrics } {
  const maxDrop = options.maxAccuracyDrop ?? 0.005;
  const label = options.outOfScopeLabel ?? 'oos';
  const base = metricsAt(predictions, 0, domains, label);
  const weight = options.oosWeight ?? base.outOfScopeTexts / Math.max(1, base.inScopeTexts);
  let best = { threshold: 0, metrics: base, score: base.inScopeAccuracy + weight * base.oosRecall };
  for (let step = 1; step <= 90; step += 1) {
    const threshold = step / 100;
    const metrics = metricsAt(predictions, threshold, domains, label);
    if (base.inScopeAccuracy - metrics.inScopeAccuracy > maxDrop) break;
    const score = metrics.inScopeAccuracy + weight * metrics.oosRecall;
    if (score > best.score) best = { threshold, metrics, score };
  }
  return { threshold: best.threshold, metrics: best.metrics };
}
