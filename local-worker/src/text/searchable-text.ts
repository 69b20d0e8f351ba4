import type { ReviewMetadata } from '@review-assistant/shared';

/**
 * The text that is embedded and keyword-indexed for a record: restaurant name and title (when
 * present) on top of the review text, so questions naming a restaurant or echoing a title match.
 * Ingestion and the keyword index both use this function, so both see the same words.
 */
export function searchableText(text: string, metadata: Pick<ReviewMetadata, 'restaurant' | 'title'>): string {
  return [metadata.restaurant, metadata.title, text].filter((part): part is string => typeof part === 'string' && part.length > 0).join('\n');
}
