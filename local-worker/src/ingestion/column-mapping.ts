import { AppError } from '@review-assistant/shared';

/** Which CSV column holds which review field. Only `text` is required. */
export interface ColumnMapping {
  text: string;
  rating: string | null;
  restaurant: string | null;
  date: string | null;
  title: string | null;
  reviewer: string | null;
}

export type ColumnField = keyof ColumnMapping;

/** Explicit column names (from `--text-column` etc.); they win over detection. */
export type ColumnOverrides = Partial<Record<ColumnField, string | undefined>>;

/**
 * Header names recognised per field, compared after lower-casing and dropping spaces, `_` and `-`.
 * They cover the project's sample CSV and both CSVs in `../shared/data/reviews`
 * (`Title,Date,Rating,Review` and `Restaurant,Reviewer,Review,Rating,Metadata,Time,Pictures`).
 */
const CANDIDATES: Record<ColumnField, string[]> = {
  text: ['review', 'reviewtext', 'text', 'body', 'comment', 'comments', 'content', 'reviewbody'],
  rating: ['rating', 'stars', 'score', 'reviewrating'],
  restaurant: ['restaurant', 'restaurantname', 'business', 'businessname', 'venue'],
  date: ['date', 'reviewdate', 'time', 'timestamp', 'createdat', 'visited'],
  title: ['title', 'reviewtitle', 'headline', 'summary'],
  reviewer: ['reviewer', 'author', 'user', 'username', 'reviewername'],
};

const key = (name: string): string => name.toLowerCase().replace(/[\s_-]+/g, '');

export class ColumnMappingError extends AppError {
  constructor(message: string) {
    super('invalid_csv', message);
  }
}

/** Detects the column mapping from a header; overrides must name existing columns. */
export function detectColumns(header: string[], overrides: ColumnOverrides = {}): ColumnMapping {
  const byKey = new Map(header.map((name) => [key(name), name]));
  const pick = (field: ColumnField): string | null => {
    const override = overrides[field];
    if (override !== undefined) {
      if (header.includes(override)) return override;
      const loose = byKey.get(key(override));
      if (loose !== undefined) return loose;
      throw new ColumnMappingError(`--${field}-column "${override}" is not a column of this CSV; columns: ${header.join(', ')}`);
    }
    for (const candidate of CANDIDATES[field]) {
      const found = byKey.get(candidate);
      if (found !== undefined) return found;
    }
    return null;
  };
  const text = pick('text');
  if (text === null) {
    throw new ColumnMappingError(`no review text column found (looked for ${CANDIDATES.text.join(', ')}); name it with --text-column; columns: ${header.join(', ')}`);
  }
  return { text, rating: pick('rating'), restaurant: pick('restaurant'), date: pick('date'), title: pick('title'), reviewer: pick('reviewer') };
}
