import { describe, expect, it } from 'vitest';
import { formatMs, readAnalytics, sortedCounts } from './analytics-data.js';

describe('analytics page data', () => {
  it('reads the analytics body field by field, counts largest first, and drops what has the wrong shape', () => {
    const view = readAnalytics({
      from: '2026-11-21T00:00:00.000Z',
      to: '2026-11-22T00:00:00.000Z',
      turns: 5,
      byRoute: { worker: 3, smalltalk: 2, bogus: 'x' },
      byIntent: { b: 1, a: 1, c: 3 },
      errors: {},
      latencyMs: { p50: 12.5, p95: 'slow' },
      series: [{ hour: '2026-11-21T00:00:00.000Z', turns: 5, errors: -1 }, 'junk'],
    });
    expect(view.byRoute).toEqual([['worker', 3], ['smalltalk', 2], ['bogus', 0]]);
    expect(view.byIntent).toEqual([['c', 3], ['a', 1], ['b', 1]]);
    expect(view.latencyMs).toEqual({ p50: 12.5, p95: null });
    expect(view.timeToFirstTokenMs).toEqual({ p50: null, p95: null });
    expect(view.series).toEqual([{ hour: '2026-11-21T00:00:00.000Z', turns: 5, errors: 0 }]);
    expect(() => readAnalytics({ error: { code: 'unauthorized' } })).toThrow(/unexpected/);
    expect(sortedCounts(null)).toEqual([]);
  });

  it('formats durations for the tiles', () => {
    expect(formatMs(null)).toBe('—');
    expect(formatMs(812.4)).toBe('812 ms');
    expect(formatMs(45_250)).toBe('45.3 s');
  });
});
