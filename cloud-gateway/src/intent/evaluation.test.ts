import { describe, expect, it } from 'vitest';
import { parseClincFile } from './clinc-data.js';
import { metricsAt, tuneThreshold, type RawPrediction } from './evaluation.js';

const domains = { balance: 'banking', greeting: 'small_talk' };
const raw = (gold: string, top: string, confidence: number): RawPrediction => ({ gold, top, confidence, latencyMs: 0.1 });

describe('metricsAt', () => {
  const predictions = [
    raw('balance', 'balance', 0.9),
    raw('balance', 'greeting', 0.8),
    raw('greeting', 'greeting', 0.3),
    raw('greeting', 'greeting', 0.95),
    raw('oos', 'oos', 0.6),
    raw('oos', 'balance', 0.25),
  ];

  it('counts in-scope accuracy, oos recall and precision without a threshold', () => {
    const metrics = metricsAt(predictions, 0, domains);
    expect(metrics.inScopeAccuracy).toBe(3 / 4);
    expect(metrics.oosRecall).toBe(1 / 2);
    expect(metrics.oosPrecision).toBe(1);
    expect(metrics.perDomain).toEqual([
      { domain: 'banking', texts: 2, accuracy: 0.5 },
      { domain: 'small_talk', texts: 2, accuracy: 1 },
    ]);
  });

  it('calls low-confidence texts out of scope once a threshold applies', () => {
    const metrics = metricsAt(predictions, 0.5, domains);
    expect(metrics.inScopeAccuracy).toBe(2 / 4);
    expect(metrics.oosRecall).toBe(1);
    expect(metrics.oosPrecision).toBe(2 / 3);
  });

  it('computes macro-F1 over the gold labels', () => {
    const metrics = metricsAt(predictions, 0, domains);
    // balance: P 1/2 R 1/2; greeting: P 2/3 R 1; oos: P 1 R 1/2
    const f1 = (p: number, r: number) => (2 * p * r) / (p + r);
    expect(metrics.macroF1).toBeCloseTo((f1(1 / 2, 1 / 2) + f1(2 / 3, 1) + f1(1, 1 / 2)) / 3, 10);
  });

  it('tunes the threshold to trade a little accuracy for oos recall', () => {
    const tuned = tuneThreshold(predictions, domains, { maxAccuracyDrop: 0.3 });
    expect(tuned.threshold).toBeGreaterThan(0.25);
    expect(tuned.metrics.oosRecall).toBe(1);
    // the best threshold sits just above the oos text at 0.25 and below the in-scope text at 0.3
    const strict = tuneThreshold(predictions, domains, { maxAccuracyDrop: 0 });
    expect(strict.metrics.inScopeAccuracy).toBe(3 / 4);
    expect(strict.threshold).toBeGreaterThan(0.25);
    expect(strict.threshold).toBeLessThanOrEqual(0.3);
  });
});

describe('parseClincFile', () => {
  it('reads the split format', () => {
    expect(parseClincFile({ in_scope: [['hi', 'greeting']], oos: [['x', 'oos']] })).toEqual({ inScope: [['hi', 'greeting']], outOfScope: [['x', 'oos']] });
  });

  it('reads the full format, test by default and val on request', () => {
    const full = { train: [['a', 'greeting']], val: [['b', 'greeting']], test: [['c', 'greeting']], oos_val: [['d', 'oos']], oos_test: [['e', 'oos']] };
    expect(parseClincFile(full)).toEqual({ inScope: [['c', 'greeting']], outOfScope: [['e', 'oos']] });
    expect(parseClincFile(full, 'val')).toEqual({ inScope: [['b', 'greeting']], outOfScope: [['d', 'oos']] });
  });

  it('names the expected shape for anything else', () => {
    expect(() => parseClincFile({ texts: [] })).toThrow(/expected \{"in_scope"/);
    expect(() => parseClincFile({ in_scope: [['only text']], oos: [] })).toThrow(/not a CLINC150 file/);
  });
});
