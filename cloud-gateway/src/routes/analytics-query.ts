import { z } from 'zod';
import { AppError } from '@review-assistant/shared';
import type { Analytics } from '../logs/analytics.js';
import type { LogRange } from '../logs/log-store.js';

/** Longest range one analytics request may cover (one index query per day, records held as numbers). */
export const MAX_ANALYTICS_DAYS = 31;
const DAY_MS = 86_400_000;

const isoTime = z.iso.datetime({ offset: true, error: 'expected an ISO 8601 time such as 2026-11-29T00:00:00Z' });

/** `?from=<ISO>&to=<ISO>` of the analytics endpoints (validated by their declarations). */
export const AnalyticsQuerySchema = z.object({
  from: isoTime.optional().describe('Start of the range (inclusive); default 24 hours before `to`'),
  to: isoTime.optional().describe('End of the range (exclusive); default now'),
});

/**
 * The half-open range `[from, to)` of a validated analytics query. `to` defaults to now, `from` to
 * 24 hours before `to`. A range that is empty or longer than 31 days is a 400 naming the problem.
 */
export function analyticsRange(query: z.output<typeof AnalyticsQuerySchema>, now = Date.now()): LogRange {
  const to = query.to === undefined ? new Date(now) : new Date(query.to);
  const from = query.from === undefined ? new Date(to.getTime() - DAY_MS) : new Date(query.from);
  if (from.getTime() >= to.getTime()) throw new AppError('validation_failed', 'from must be before to');
  if (to.getTime() - from.getTime() > MAX_ANALYTICS_DAYS * DAY_MS) {
    throw new AppError('validation_failed', `a range covers at most ${MAX_ANALYTICS_DAYS} days`);
  }
  return { from, to };
}

/** One CSV row per hour of the range: `hour,turns,errors` (RFC 4180, CRLF line ends). */
export function analyticsCsv(analytics: Analytics): string {
  const rows = [['hour', 'turns', 'errors'], ...analytics.series.map((bucket) => [bucket.hour, String(bucket.turns), String(bucket.errors)])];
  return `${rows.map((row) => row.join(',')).join('\r\n')}\r\n`;
}
