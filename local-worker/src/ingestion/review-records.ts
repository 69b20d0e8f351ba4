import type { ReviewMetadata } from '@review-assistant/shared';
import type { ReviewRecord } from '../ports.js';
import { restaurantKey } from '../vector-store/review-filters.js';
import type { ReviewChunker } from './chunking.js';
import type { ColumnMapping } from './column-mapping.js';
import { cleanText, normalizeDate, normalizeRating } from './normalize.js';

/** One review ready to embed: all its chunks, which are always written together. */
export interface PreparedReview {
  /** `<source>:<row>`, e.g. `reviews.csv:41`. */
  reviewId: string;
  row: number;
  records: ReviewRecord[];
}

export type SkipReason = 'empty review text';

/** Optional fields a kept review can lose because their value could not be read (e.g. rating `Like`). */
export type UnreadableField = 'rating' | 'date';

export interface PreparedReviews {
  reviews: PreparedReview[];
  rowsRead: number;
  skipped: Partial<Record<SkipReason, number>>;
  /** Rows kept without a field whose value was present but could not be read, per field. */
  unreadable: Partial<Record<UnreadableField, number>>;
}

/** Id of a review: readable and deterministic from the source file name and 0-based data row. */
export function reviewId(source: string, row: number): string {
  return `${source}:${row}`;
}

/** Id of chunk `index` of a review (`…#c0`, `…#c1`); a short review is one chunk, `#c0`. */
export function chunkId(source: string, row: number, index: number): string {
  return `${reviewId(source, row)}#c${index}`;
}

/** Review id of a record id (strips the `#cN` chunk suffix). */
export function reviewIdOf(recordId: string): string {
  const hash = recordId.lastIndexOf('#c');
  return hash < 0 ? recordId : recordId.slice(0, hash);
}

/** Turns parsed CSV rows into review records: skips empty texts, normalises fields, chunks long texts. */
export async function prepareReviews(
  rows: Record<string, string>[],
  mapping: ColumnMapping,
  source: string,
  chunker: ReviewChunker,
): Promise<PreparedReviews> {
  const reviews: PreparedReview[] = [];
  const skipped: Partial<Record<SkipReason, number>> = {};
  const unreadable: Partial<Record<UnreadableField, number>> = {};
  const noteUnreadable = (field: UnreadableField, raw: string | undefined) => {
    if ((raw ?? '').trim() !== '') unreadable[field] = (unreadable[field] ?? 0) + 1;
  };
  for (const [row, fields] of rows.entries()) {
    const text = cleanText(fields[mapping.text]);
    if (text === '') {
      skipped['empty review text'] = (skipped['empty review text'] ?? 0) + 1;
      continue;
    }
    const base: ReviewMetadata = { source, row };
    const restaurant = mapping.restaurant === null ? '' : cleanText(fields[mapping.restaurant]);
    if (restaurant !== '') {
      base.restaurant = restaurant;
      base['restaurantKey'] = restaurantKey(restaurant);
    }
    if (mapping.rating !== null) {
      const rating = normalizeRating(fields[mapping.rating]);
      if (rating !== null) base.rating = rating;
      else noteUnreadable('rating', fields[mapping.rating]);
    }
    if (mapping.date !== null) {
      const date = normalizeDate(fields[mapping.date]);
      if (date !== null) {
        base.date = date.date;
        base['dateEpoch'] = date.epoch;
      } else {
        noteUnreadable('date', fields[mapping.date]);
      }
    }
    const title = mapping.title === null ? '' : cleanText(fields[mapping.title]);
    if (title !== '') base.title = title;
    const reviewer = mapping.reviewer === null ? '' : cleanText(fields[mapping.reviewer]);
    if (reviewer !== '') base.reviewer = reviewer;
    const chunks = await chunker.chunk(text);
    reviews.push({
      reviewId: reviewId(source, row),
      row,
      records: chunks.map((chunk, index) => {
        const metadata: ReviewMetadata = structuredClone(base);
        metadata.chunk = index;
        metadata.chunks = chunks.length;
        return { id: chunkId(source, row, index), text: chunk, metadata };
      }),
    });
  }
  return { reviews, rowsRead: rows.length, skipped, unreadable };
}
