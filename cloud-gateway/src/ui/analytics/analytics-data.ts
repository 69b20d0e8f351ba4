/** The analytics JSON as the page uses it, read field by field (the page never trusts a shape). */
export interface AnalyticsView {
  from: string;
  to: string;
  turns: number;
  byRoute: [string, number][];
  byIntent: [string, number][];
  byWorker: [string, number][];
  errors: [string, number][];
  latencyMs: { p50: number | null; p95: number | null };
  timeToFirstTokenMs: { p50: number | null; p95: number | null };
  series: { hour: string; turns: number; errors: number }[];
}

const isRecord = (value: unknown): value is Record<string, unknown> => typeof value === 'object' && value !== null && !Array.isArray(value);
const count = (value: unknown): number => (typeof value === 'number' && Number.isFinite(value) && value >= 0 ? value : 0);
const nullableNumber = (value: unknown): number | null => (typeof value === 'number' && Number.isFinite(value) ? value : null);

/** Counts of a `{name: count}` object, largest first (ties by name). */
export function sortedCounts(value: unknown): [string, number][] {
  if (!isRecord(value)) return [];
  return Object.entries(value)
    .map(([name, n]): [string, number] => [name, count(n)])
    .sort((a, b) => b[1] - a[1] || a[0].localeCompare(b[0]));
}

function percentiles(value: unknown): { p50: number | null; p95: number | null } {
  return isRecord(value) ? { p50: nullableNumber(value.p50), p95: nullableNumber(value.p95) } : { p50: null, p95: null };
}

/** Reads `GET /admin/api/analytics`'s body; throws when it is not an analytics object at all. */
export function readAnalytics(body: unknown): AnalyticsView {
  if (!isRecord(body) || typeof body.turns !== 'number' || !Array.isArray(body.series)) throw new Error('unexpected analytics response');
  return {
    from: String(body.from ?? ''),
    to: String(body.to ?? ''),
    turns: count(body.turns),
    byRoute: sortedCounts(body.byRoute),
    byIntent: sortedCounts(body.byIntent),
    byWorker: sortedCounts(body.byWorker),
    errors: sortedCounts(body.errors),
    latencyMs: percentiles(body.latencyMs),
    timeToFirstTokenMs: percentiles(body.timeToFirstTokenMs),
    series: body.series.filter(isRecord).map((bucket) => ({ hour: String(bucket.hour ?? ''), turns: count(bucket.turns), errors: count(bucket.errors) })),
  };
}

/** `ms` for display: `—` without a value, whole milliseconds below 10 s, seconds above. */
export function formatMs(value: number | null): string {
  if (value === null) return '—';
  return value < 10_000 ? `${Math.round(value)} ms` : `${(value / 1000).toFixed(1)} s`;
}

/** The value of a `datetime-local` input for an instant, in the browser's time zone. */
export function toLocalInput(date: Date): string {
  const pad = (n: number) => String(n).padStart(2, '0');
  return `${date.getFullYear()}-${pad(date.getMonth() + 1)}-${pad(date.getDate())}T${pad(date.getHours())}:${pad(date.getMinutes())}`;
}

/** Label of an hourly bucket: `HH:00`, with the date at midnight and on the first bucket. */
export function hourLabel(iso: string, index: number): string {
  const date = new Date(iso);
  const hour = `${String(date.getHours()).padStart(2, '0')}:00`;
  return index === 0 || date.getHours() === 0 ? `${date.getMonth() + 1}/${date.getDate()} ${hour}` : hour;
}
