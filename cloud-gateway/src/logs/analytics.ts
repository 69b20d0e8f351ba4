import { AppError } from '@review-assistant/shared';
import type { InteractionRecord } from './interaction-record.js';
import { recordsInRange, type LogRange, type LogReader } from './log-store.js';

export interface Percentiles {
  p50: number | null;
  p95: number | null;
}

export interface HourBucket {
  /** ISO time the hour starts (UTC). */
  hour: string;
  turns: number;
  errors: number;
}

/** `GET /admin/api/analytics`: usage of a time range, from the interaction log. */
export interface Analytics {
  from: string;
  to: string;
  turns: number;
  byRoute: Record<string, number>;
  byIntent: Record<string, number>;
  byChannel: Record<string, number>;
  latencyMs: Percentiles;
  /** Over the turns that produced an answer token. */
  timeToFirstTokenMs: Percentiles;
  /** Failed turns per error code (`cancelled` turns are not errors). */
  errors: Record<string, number>;
  /** Turns per worker id (gateway-answered turns are not counted). */
  byWorker: Record<string, number>;
  /** One bucket per hour of the range, empty hours included. */
  series: HourBucket[];
}

const HOUR_MS = 3_600_000;

/**
 * Nearest-rank percentile: the smallest value with at least p % of the values at or below it
 * (`sorted[ceil(p/100 * n) - 1]`); null for no values.
 */
export function percentile(sorted: readonly number[], p: number): number | null {
  if (sorted.length === 0) return null;
  return sorted[Math.max(0, Math.ceil((p / 100) * sorted.length) - 1)] ?? null;
}

function percentiles(values: number[]): Percentiles {
  const sorted = values.sort((a, b) => a - b);
  return { p50: percentile(sorted, 50), p95: percentile(sorted, 95) };
}

function increment(counts: Record<string, number>, key: string): void {
  counts[key] = (counts[key] ?? 0) + 1;
}

/** The error code of a failed turn's status (`error:<code>`), undefined for ok and cancelled turns. */
export function errorCode(status: string): string | undefined {
  return status.startsWith('error:') ? status.slice('error:'.length) : undefined;
}

/** Aggregates the records of `range` (records outside it are ignored) in one pass. */
export async function computeAnalytics(records: AsyncIterable<InteractionRecord> | Iterable<InteractionRecord>, range: LogRange): Promise<Analytics> {
  const fromMs = range.from.getTime();
  const toMs = range.to.getTime();
  const firstHour = Math.floor(fromMs / HOUR_MS) * HOUR_MS;
  const series: HourBucket[] = [];
  for (let hour = firstHour; hour < toMs; hour += HOUR_MS) series.push({ hour: new Date(hour).toISOString(), turns: 0, errors: 0 });
  const result: Analytics = {
    from: range.from.toISOString(),
    to: range.to.toISOString(),
    turns: 0,
    byRoute: {},
    byIntent: {},
    byChannel: {},
    latencyMs: { p50: null, p95: null },
    timeToFirstTokenMs: { p50: null, p95: null },
    errors: {},
    byWorker: {},
    series,
  };
  const latencies: number[] = [];
  const firstTokens: number[] = [];
  for await (const record of records) {
    const time = Date.parse(record.createdAt);
    if (!(time >= fromMs && time < toMs)) continue;
    result.turns += 1;
    increment(result.byRoute, record.route);
    increment(result.byIntent, record.intent.name);
    increment(result.byChannel, record.channel);
    if (record.workerId) increment(result.byWorker, record.workerId);
    latencies.push(record.latencyMs);
    if (record.timeToFirstTokenMs !== null) firstTokens.push(record.timeToFirstTokenMs);
    const bucket = series[Math.floor((time - firstHour) / HOUR_MS)];
    if (bucket) bucket.turns += 1;
    const code = errorCode(record.status);
    if (code !== undefined) {
      increment(result.errors, code);
      if (bucket) bucket.errors += 1;
    }
  }
  result.latencyMs = percentiles(latencies);
  result.timeToFirstTokenMs = percentiles(firstTokens);
  return result;
}

/**
 * Analytics of a range read from the log store. A store that cannot be read (DynamoDB throttling
 * a long range, an endpoint down) is a 503 (the cause goes to the log), not a 500.
 */
export async function readAnalytics(log: LogReader, range: LogRange): Promise<Analytics> {
  try {
    return await computeAnalytics(recordsInRange(log, range), range);
  } catch (error) {
    if (error instanceof AppError) throw error;
    const reason = error instanceof Error ? error.name : 'error';
    throw new AppError('not_ready', `the interaction log could not be read (${reason}); try again or a shorter range`, { cause: error });
  }
}
