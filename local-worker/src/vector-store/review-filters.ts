import type { ReviewFilters, ReviewMetadata } from '@review-assistant/shared';

/**
 * Metadata filters (restaurant, rating range, date range), in one place for both retrieval paths:
 * `toChromaWhere` for the vector store and `matchesFilters` for the in-process keyword index, so
 * both apply exactly the same rule.
 *
 * Stored metadata carries two derived fields for this: `restaurantKey` (trimmed, lower case, so
 * the restaurant filter ignores case) and `dateEpoch` (seconds since 1970, so date ranges are
 * numeric comparisons). `to` is inclusive: a date-only `to` covers that whole day.
 */

export function restaurantKey(restaurant: string): string {
  return restaurant.normalize('NFKC').trim().toLowerCase();
}

/** Seconds since the epoch of an ISO date or date-time (UTC when no offset is given); null when invalid. */
function isoToEpochSeconds(iso: string): number | null {
  const withZone = /^\d{4}-\d{2}-\d{2}$/.test(iso) ? `${iso}T00:00:00Z` : /[zZ]|[+-]\d{2}:?\d{2}$/.test(iso) ? iso : `${iso}Z`;
  const milliseconds = Date.parse(withZone);
  return Number.isNaN(milliseconds) ? null : Math.floor(milliseconds / 1000);
}

interface Bounds {
  restaurant?: string;
  minRating?: number;
  maxRating?: number;
  fromEpoch?: number;
  /** Exclusive upper bound. */
  toEpochExclusive?: number;
}

function bounds(filters: ReviewFilters | undefined): Bounds {
  const result: Bounds = {};
  if (!filters) return result;
  if (filters.restaurant !== undefined) result.restaurant = restaurantKey(filters.restaurant);
  if (filters.minRating !== undefined) result.minRating = filters.minRating;
  if (filters.maxRating !== undefined) result.maxRating = filters.maxRating;
  if (filters.from !== undefined) {
    const from = isoToEpochSeconds(filters.from);
    if (from !== null) result.fromEpoch = from;
  }
  if (filters.to !== undefined) {
    const to = isoToEpochSeconds(filters.to);
    if (to !== null) result.toEpochExclusive = /^\d{4}-\d{2}-\d{2}$/.test(filters.to) ? to + 86_400 : to + 1;
  }
  return result;
}

type WhereClause = Record<string, unknown>;

/** Chroma `where` for the filters, or undefined when there is nothing to filter. */
export function toChromaWhere(filters: ReviewFilters | undefined): WhereClause | undefined {
  const limits = bounds(filters);
  const clauses: WhereClause[] = [];
  if (limits.restaurant !== undefined) clauses.push({ restaurantKey: { $eq: limits.restaurant } });
  if (limits.minRating !== undefined) {
    clauses.push({ rating: { $gte: limits.minRating } });
    // Chroma truncates a fractional bound when comparing it with integer-stored values (chroma-core/chroma#7491):
    // `$gte 4.5` would let a stored 4 through. `$gt floor(bound)` shuts that out and changes nothing else.
    if (!Number.isInteger(limits.minRating)) clauses.push({ rating: { $gt: Math.floor(limits.minRating) } });
  }
  if (limits.maxRating !== undefined) clauses.push({ rating: { $lte: limits.maxRating } });
  if (limits.fromEpoch !== undefined) clauses.push({ dateEpoch: { $gte: limits.fromEpoch } });
  if (limits.toEpochExclusive !== undefined) clauses.push({ dateEpoch: { $lt: limits.toEpochExclusive } });
  if (clauses.length === 0) return undefined;
  if (clauses.length === 1) return clauses[0];
  return { $and: clauses };
}

/** True when a record's metadata passes the filters (same rule as `toChromaWhere`). */
export function matchesFilters(metadata: ReviewMetadata, filters: ReviewFilters | undefined): boolean {
  return filterPredicate(filters)(metadata);
}

/** `matchesFilters` with the filters parsed once, for testing many records. */
export function filterPredicate(filters: ReviewFilters | undefined): (metadata: ReviewMetadata) => boolean {
  const limits = bounds(filters);
  return (metadata) => {
    if (limits.restaurant !== undefined) {
      const key = typeof metadata['restaurantKey'] === 'string' ? metadata['restaurantKey'] : metadata.restaurant ? restaurantKey(metadata.restaurant) : null;
      if (key !== limits.restaurant) return false;
    }
    if (limits.minRating !== undefined || limits.maxRating !== undefined) {
      const rating = metadata.rating;
      if (typeof rating !== 'number') return false;
      if (limits.minRating !== undefined && rating < limits.minRating) return false;
      if (limits.maxRating !== undefined && rating > limits.maxRating) return false;
    }
    if (limits.fromEpoch !== undefined || limits.toEpochExclusive !== undefined) {
      const epoch = metadata['dateEpoch'];
      if (typeof epoch !== 'number') return false;
      if (limits.fromEpoch !== undefined && epoch < limits.fromEpoch) return false;
      if (limits.toEpochExclusive !== undefined && epoch >= limits.toEpochExclusive) return false;
    }
    return true;
  };
}

export function hasFilters(filters: ReviewFilters | undefined): boolean {
  return toChromaWhere(filters) !== undefined;
}
