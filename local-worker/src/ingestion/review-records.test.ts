import { describe, expect, it } from 'vitest';
import { ReviewChunker } from './chunking.js';
import { detectColumns } from './column-mapping.js';
import { chunkId, prepareReviews, reviewIdOf } from './review-records.js';

const mapping = detectColumns(['Restaurant', 'Review', 'Rating', 'Time']);
const longText = Array.from({ length: 60 }, (_, index) => `Sentence ${index} about the biryani, the service and the long wait at the counter.`).join(' ');
const rows = [
  { Restaurant: 'Bawarchi', Review: 'Lovely biryani 😋', Rating: '4.5', Time: '5/25/2019 15:54' },
  { Restaurant: 'Bawarchi', Review: '   ', Rating: '3', Time: '' },
  { Restaurant: 'Paradise', Review: longText, Rating: 'Like', Time: '' },
];

describe('prepareReviews', () => {
  it('skips empty texts with a reason and keeps source, row and normalised fields', async () => {
    const prepared = await prepareReviews(rows, mapping, 'z.csv', new ReviewChunker());
    expect(prepared.rowsRead).toBe(3);
    expect(prepared.skipped).toEqual({ 'empty review text': 1 });
    // kept rows that lost a field to an unreadable value are counted (the empty Time of row 2 is not)
    expect(prepared.unreadable).toEqual({ rating: 1 });
    expect(prepared.reviews.map((review) => review.reviewId)).toEqual(['z.csv:0', 'z.csv:2']);
    const first = prepared.reviews[0]!.records[0]!;
    expect(first.id).toBe('z.csv:0#c0');
    expect(first.metadata).toMatchObject({ source: 'z.csv', row: 0, restaurant: 'Bawarchi', rating: 4.5, date: '2019-05-25', chunk: 0, chunks: 1 });
    expect(prepared.reviews[1]!.records[0]!.metadata.rating).toBeUndefined();
  });

  it('chunks reviews longer than the context with overlap and stable ids', async () => {
    const chunker = new ReviewChunker();
    const once = await prepareReviews(rows, mapping, 'z.csv', chunker);
    const again = await prepareReviews(rows, mapping, 'z.csv', new ReviewChunker());
    const long = once.reviews[1]!;
    expect(long.records.length).toBeGreaterThan(1);
    expect(long.records.map((record) => record.id)).toEqual(long.records.map((_, index) => chunkId('z.csv', 2, index)));
    expect(again.reviews[1]!.records).toEqual(long.records);
    for (const record of long.records) {
      expect(record.text.length).toBeLessThanOrEqual(chunker.chunkSize);
      expect(record.metadata.chunks).toBe(long.records.length);
      expect(reviewIdOf(record.id)).toBe('z.csv:2');
    }
    // consecutive chunks overlap, and together they hold every sentence
    const [firstChunk, secondChunk] = long.records;
    expect(secondChunk!.text.startsWith(firstChunk!.text.slice(-40).trim().split(' ').slice(-1)[0]!) || firstChunk!.text.includes(secondChunk!.text.slice(0, 30))).toBe(true);
    for (let index = 0; index < 60; index += 1) expect(long.records.some((record) => record.text.includes(`Sentence ${index} `))).toBe(true);
  });
});
