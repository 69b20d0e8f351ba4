/**
 * Normalisation of raw CSV values into review metadata.
 */

/** A 0–5 star rating, half stars kept; `Like`, empty or unreadable values become null. */
export function normalizeRating(raw: string | undefined): number | null {
  if (raw === undefined) return null;
  const text = raw.trim().replace(',', '.');
  const match = /^(\d+(?:\.\d+)?)(?:\s*\/\s*(\d+(?:\.\d+)?))?$/.exec(text);
  if (!match) return null;
  let value = Number(match[1]);
  const scale = match[2] === undefined ? 5 : Number(match[2]);
  if (!Number.isFinite(value) || scale <= 0) return null;
  if (scale !== 5) value = (value / scale) * 5;
  if (value < 0 || value > 5) return null;
  return Math.round(value * 2) / 2;
}

export interface NormalizedDate {
  /** ISO calendar date, `YYYY-MM-DD`. */
  date: string;
  /** Seconds since the epoch (UTC; the time of day when the source has one). */
  epoch: number;
}

const pad = (value: number): string => String(value).padStart(2, '0');

function build(year: number, month: number, day: number, hour = 0, minute = 0, second = 0): NormalizedDate | null {
  if (month < 1 || month > 12 || day < 1 || day > 31 || hour > 23 || minute > 59 || second > 59) return null;
  const milliseconds = Date.UTC(year, month - 1, day, hour, minute, second);
  const check = new Date(milliseconds);
  if (check.getUTCMonth() !== month - 1 || check.getUTCDate() !== day) return null;
  return { date: `${year}-${pad(month)}-${pad(day)}`, epoch: Math.floor(milliseconds / 1000) };
}

/**
 * Reads ISO dates (`2024-03-15`, `2024-03-15T10:20:00Z`) and US month/day/year dates with an
 * optional time (`5/25/2019 15:54`, as in the Zomato export). Anything else becomes null.
 */
export function normalizeDate(raw: string | undefined): NormalizedDate | null {
  if (raw === undefined) return null;
  const text = raw.trim();
  if (text === '') return null;
  let match = /^(\d{4})-(\d{2})-(\d{2})(?:[T ](\d{2}):(\d{2})(?::(\d{2}))?)?/.exec(text);
  if (match) {
    const hasZone = /[zZ]|[+-]\d{2}:?\d{2}$/.test(text) && match[4] !== undefined;
    if (hasZone) {
      const milliseconds = Date.parse(text);
      if (Number.isNaN(milliseconds)) return null;
      const date = new Date(milliseconds);
      return { date: `${date.getUTCFullYear()}-${pad(date.getUTCMonth() + 1)}-${pad(date.getUTCDate())}`, epoch: Math.floor(milliseconds / 1000) };
    }
    return build(Number(match[1]), Number(match[2]), Number(match[3]), Number(match[4] ?? 0), Number(match[5] ?? 0), Number(match[6] ?? 0));
  }
  match = /^(\d{1,2})\/(\d{1,2})\/(\d{4})(?:\s+(\d{1,2}):(\d{2})(?::(\d{2}))?)?$/.exec(text);
  if (match) return build(Number(match[3]), Number(match[1]), Number(match[2]), Number(match[4] ?? 0), Number(match[5] ?? 0), Number(match[6] ?? 0));
  return null;
}

/** Trimmed text with NUL and other C0 control characters (except tab and newlines) removed. */
export function cleanText(raw: string | undefined): string {
  // eslint-disable-next-line no-control-regex
  return (raw ?? '').replace(/[\u0000-\u0008\u000b\u000c\u000e-\u001f\u007f]/g, '').replace(/\r\n?/g, '\n').trim();
}
