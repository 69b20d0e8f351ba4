import { describe, expect, it } from 'vitest';
import { computeAnalytics, percentile } from './analytics.js';
import type { InteractionRecord } from './interaction-record.js';

function record(createdAt: string, overrides: Partial<InteractionRecord> = {}): InteractionRecord {
  return {
    requestId: createdAt,
    sessionId: 'anonymous',
    createdAt,
    channel: 'sse',
    intent: { name: 'restaurant_reviews', confidence: 0.9, domain: 'dining', outOfScope: false },
    route: 'worker',
    workerId: 'w1',
    status: 'ok',
    latencyMs: 100,
    timeToFirstTokenMs: 10,
    answerChars: 1,
    sources: 1,
    backend: 'offline',
    ...overrides,
  };
}

describe('percentile (nearest rank)', () => {
  it('picks the value at rank ceil(p/100 * n)', () => {
    const values = Array.from({ length: 20 }, (_, index) => index + 1); // 1..20
    expect(percentile(values, 50)).toBe(10);
    expect(percentile(values, 95)).toBe(19);
    expect(percentile([7], 95)).toBe(7);
    expect(percentile([], 50)).toBeNull();
  });
});

describe('computeAnalytics', () => {
  it('counts turns by route, intent, channel and error code, with percentiles and hourly buckets of the range only', async () => {
    const records = [
      record('2026-11-21T09:59:59.999Z', { latencyMs: 99_999 }), // before the range
      record('2026-11-21T10:00:00.000Z', { latencyMs: 300, timeToFirstTokenMs: 30 }),
      record('2026-11-21T10:30:00.000Z', { latencyMs: 100, timeToFirstTokenMs: 10, channel: 'ws', route: 'smalltalk', workerId: null, intent: { name: 'greeting', confidence: 1, domain: 'small_talk', outOfScope: false } }),
      record('2026-11-21T11:15:00.000Z', { latencyMs: 200, timeToFirstTokenMs: null, channel: 'openai', status: 'error:no_worker', workerId: null }),
      record('2026-11-21T11:45:00.000Z', { latencyMs: 400, timeToFirstTokenMs: 40, channel: 'openai', status: 'cancelled' }),
      record('2026-11-21T12:00:00.000Z', { latencyMs: 88_888 }), // `to` is exclusive
    ];
    const analytics = await computeAnalytics(records, { from: new Date('2026-11-21T10:00:00Z'), to: new Date('2026-11-21T12:00:00Z') });
    expect(analytics).toMatchObject({
      turns: 4,
      byRoute: { worker: 3, smalltalk: 1 },
      byIntent: { restaurant_reviews: 3, greeting: 1 },
      byChannel: { sse: 1, ws: 1, openai: 2 },
      byWorker: { w1: 2 },
      latencyMs: { p50: 200, p95: 400 },
      timeToFirstTokenMs: { p50: 30, p95: 40 },
      errors: { no_worker: 1 },
      series: [
        { hour: '2026-11-21T10:00:00.000Z', turns: 2, errors: 0 },
        { hour: '2026-11-21T11:00:00.000Z', turns: 2, errors: 1 },
      ],
    });
  });

  it('gives an empty bucket for every quiet hour and null percentiles without turns', async () => {
    const analytics = await computeAnalytics([], { from: new Date('2026-11-21T10:30:00Z'), to: new Date('2026-11-21T13:00:00Z') });
    expect(analytics.series.map((bucket) => bucket.hour)).toEqual(['2026-11-21T10:00:00.000Z', '2026-11-21T11:00:00.000Z', '2026-11-21T12:00:00.000Z']);
    expect(analytics).toMatchObject({ turns: 0, latencyMs: { p50: null, p95: null }, errors: {} });
  });
});
