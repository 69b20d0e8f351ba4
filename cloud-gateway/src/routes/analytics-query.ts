import { z } from 'zod';
import { AppError } from '@review-assistant/shared';
import type { Analytics } from '../logs/analytics.js';
import type { LogRange } from '../logs/log-store.js';

/** Longest range one analytics request may cover (one index query per day, records held as numbers). */
export const MAX_ANALYTICS_DAYS = 31;
const DAY_MS = 86_400_000;

const QuerySchema = z.object({
  from: z.iso.datetime({ offset: true }).optional(),
  to: z.iso.datetime({ offset: true }).optional(),
});

/**
 * `?from=<ISO>&to=<ISO>` of the analytics endpoints: a half-open range `[from, to)`. `to` defaults
 * to now, `from` to 24 hours before `to`. Bad values are a 400 naming the parameter.
 */
export function parseAnalyticsRange(query: Record<string, string>, now = Date.now()): LogRange {
  const parsed = QuerySchema.safeParse(query);
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    throw new AppError('validation_failed', `${issue?.path.join('.') ?? 'query'}: expected an ISO 8601 time such as 2026-11-29T00:00:00Z`);
  }
  const to = parsed.data.to === undefined ? new Date(now) : new Date(parsed.data.to);
  const from = parsed.data.from === undefined ? new Date(to.getTime() - DAY_MS) : new Date(parsed.data.from);
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
