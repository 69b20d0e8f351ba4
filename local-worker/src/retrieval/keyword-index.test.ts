import { describe, expect, it } from 'vitest';
import type { ReviewRecord } from '../ports.js';
import { KeywordIndex } from './keyword-index.js';

const record = (row: number, text: string, extra: Record<string, string | number> = {}): ReviewRecord => ({
  id: `t.csv:${row}#c0`,
  text,
  metadata: { source: 't.csv', row, ...extra },
});

const records = [
  record(0, 'Great vegan burger, the vegan cheese melts.', { rating: 5, restaurantKey: 'green', dateEpoch: 100 }),
  record(1, 'Delivery was late and the fries were cold.', { rating: 2, restaurantKey: 'fry', dateEpoch: 200 }),
  record(2, 'One vegan option, a sad salad. Service was friendly.', { rating: 3, restaurantKey: 'fry', dateEpoch: 300 }),
  record(3, 'Der Kellner war sehr freundlich, Kaffee ausgezeichnet ☕', { rating: 4, restaurantKey: 'café', dateEpoch: 400 }),
];

describe('KeywordIndex', () => {
  const index = new KeywordIndex(records);

  it('ranks by BM25: more and rarer matches first', () => {
    const hits = index.search('vegan cheese', { k: 5 });
    expect(hits.map((hit) => hit.record.metadata.row)).toEqual([0, 2]);
    expect(hits[0]!.score).toBeGreaterThan(hits[1]!.score);
    expect(index.scoreOf(index.queryTerms('vegan cheese'), 't.csv:0#c0')).toBeCloseTo(hits[0]!.score, 10);
  });

  it('applies metadata filters', () => {
    expect(index.search('vegan', { k: 5, filters: { minRating: 4 } }).map((hit) => hit.record.metadata.row)).toEqual([0]);
    expect(index.search('vegan', { k: 5, filters: { restaurant: 'FRY' } }).map((hit) => hit.record.metadata.row)).toEqual([2]);
  });

  it('tokenises other scripts and accents', () => {
    expect(index.search('freundlich Kaffee', { k: 5 }).map((hit) => hit.record.metadata.row)).toEqual([3]);
  });

  it('measures coverage of the query IDF mass, counting unknown words', () => {
    const terms = index.queryTerms('late delivery');
    expect(index.coverage(terms, 't.csv:1#c0')).toBeCloseTo(1, 10);
    const partial = index.coverage(index.queryTerms('fix car brakes delivery'), 't.csv:1#c0');
    expect(partial).toBeGreaterThan(0);
    expect(partial).toBeLessThan(0.34);
    expect(index.corpusCoverage(index.queryTerms('jupiter moons')).knownTerms).toBe(0);
  });

  it('returns nothing for a query of stop words', () => {
    expect(index.search('what is it', { k: 5 })).toEqual([]);
  });
});
