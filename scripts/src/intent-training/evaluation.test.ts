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

  it('tunes the lowest threshold that reaches the oos recall target, halfway to the next correct text', () => {
    // the oos class already catches half of the oos texts: no threshold needed for 50%, and the
    // threshold sits halfway to the least confident correct text (0.3)
    const half = tuneThreshold(predictions, domains, { minOosRecall: 0.5 });
    expect(half.threshold).toBeCloseTo(0.15, 10);
    expect(half.metrics.inScopeAccuracy).toBe(3 / 4);
    expect(half.metrics.oosRecall).toBe(1 / 2);
    // full recall needs a threshold above the oos text at 0.25, and below the correct one at 0.3
    const full = tuneThreshold(predictions, domains, { minOosRecall: 1 });
    expect(full.threshold).toBeCloseTo(0.275, 10);
    expect(full.metrics.oosRecall).toBe(1);
    expect(full.metrics.inScopeAccuracy).toBe(3 / 4);
  });

  it('gives up in-scope accuracy only as far as the recall target needs', () => {
    const crowded = [
      raw('balance', 'balance', 0.2),
      raw('balance', 'balance', 0.5),
      raw('greeting', 'greeting', 0.9),
      raw('oos', 'greeting', 0.4),
      raw('oos', 'balance', 0.7),
    ];
    const half = tuneThreshold(crowded, domains, { minOosRecall: 0.5 });
    expect(half.threshold).toBeCloseTo(0.45, 10);
    expect(half.metrics.inScopeAccuracy).toBe(2 / 3);
    expect(half.metrics.oosRecall).toBe(1 / 2);
    const all = tuneThreshold(crowded, domains, { minOosRecall: 1 });
    expect(all.threshold).toBeCloseTo(0.8, 10);
    expect(all.metrics.inScopeAccuracy).toBe(1 / 3);
    expect(all.metrics.oosRecall).toBe(1);
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
