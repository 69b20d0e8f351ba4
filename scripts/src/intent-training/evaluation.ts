import type { IntentClassifier } from '@review-assistant/cloud-gateway/intent';
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
 * Picks the confidence threshold on validation predictions so that it protects in-scope
 * accuracy: the highest in-scope accuracy among thresholds whose oos recall reaches
 * `minOosRecall` (default 0.5). In-scope accuracy only falls and oos recall only rises as the
 * threshold grows, so that is the lowest threshold reaching the recall target; the threshold is
 * then placed halfway to the next correctly predicted in-scope text, which catches any further
 * oos text in that gap for free and keeps a margin on both sides for unseen texts.
 */
export function tuneThreshold(
  predictions: RawPrediction[],
  domains: Readonly<Record<string, string>>,
  options: { minOosRecall?: number; outOfScopeLabel?: string } = {},
): { threshold: number; metrics: IntentMetrics } {
  const label = options.outOfScopeLabel ?? 'oos';
  const target = options.minOosRecall ?? 0.5;
  const outOfScope = predictions.filter((prediction) => prediction.gold === label);
  const caughtByClass = outOfScope.filter((prediction) => prediction.top === label).length;
  // oos texts only a threshold can catch, and correct in-scope texts a threshold would lose
  const catchable = outOfScope.filter((prediction) => prediction.top !== label).map((prediction) => prediction.confidence).sort((a, b) => a - b);
  const correct = predictions
    .filter((prediction) => prediction.gold !== label && prediction.top === prediction.gold)
    .map((prediction) => prediction.confidence)
    .sort((a, b) => a - b);
  const needed = Math.ceil(target * outOfScope.length - 1e-9) - caughtByClass;
  let threshold: number;
  if (needed > catchable.length) threshold = 1;
  else {
    // texts are called out of scope when confidence < threshold: stay above the last oos text needed
    const floor = needed <= 0 ? 0 : catchable[needed - 1]!;
    const ceiling = correct.find((confidence) => confidence > floor);
    threshold = ceiling === undefined ? Math.min(1, floor + 1e-6) : (floor + ceiling) / 2;
  }
  return { threshold, metrics: metricsAt(predictions, threshold, domains, label) };
}
