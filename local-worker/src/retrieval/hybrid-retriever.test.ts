import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { SourceItemSchema, type ReviewFilters } from '@review-assistant/shared';
import type { VectorStore } from '../ports.js';
import { matchesFilters } from '../vector-store/review-filters.js';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ingestCsv } from '../ingestion/ingest-csv.js';
import { OfflineEmbeddingModel } from '../models/offline-embeddings.js';
import { startTestChroma } from '../testing/chroma-fixture.js';
import { HybridRetriever } from './hybrid-retriever.js';

const repoRoot = resolve(dirname(fileURLToPath(import.meta.url)), '..', '..', '..');
const sampleCsv = join(repoRoot, 'data', 'sample', 'reviews.csv');

let fixture: Awaited<ReturnType<typeof startTestChroma>>;
let retriever: HybridRetriever;
const embedder = new OfflineEmbeddingModel();
beforeAll(async () => {
  fixture = await startTestChroma();
  await ingestCsv({ file: sampleCsv, store: fixture.store, embedder, collection: 'reviews', progress: 'none' });
  retriever = new HybridRetriever({ store: fixture.store, embedder });
});
afterAll(async () => {
  await fixture?.stop();
});

describe('HybridRetriever (real Chroma, sample reviews)', () => {
  it('returns relevant reviews as source items with scores in [0, 1], best first', async () => {
    const results = await retriever.retrieve('Which restaurant has good vegan options?', { k: 5 });
    expect(results).toHaveLength(5);
    for (const item of results) {
      expect(SourceItemSchema.parse(item)).toEqual(item);
      expect(item.score).toBeGreaterThanOrEqual(0);
      expect(item.score).toBeLessThanOrEqual(1);
      expect(item.metadata.source).toBe('reviews.csv');
    }
    expect(results.map((item) => item.score)).toEqual([...results.map((item) => item.score)].sort((left, right) => right - left));
    expect(results.filter((item) => /vegan|plant-based/i.test(item.text)).length).toBeGreaterThanOrEqual(4);
  });

  it('returns nothing for questions unrelated to the reviews', async () => {
    for (const question of ["How do I fix my car's brakes?", 'What is the capital of Australia?', 'How many moons does Jupiter have?', '???']) {
      expect(await retriever.retrieve(question, { k: 5 })).toEqual([]);
    }
  });

  it('honours restaurant, rating and date filters', async () => {
    const byRestaurant = await retriever.retrieve('how is the service', { k: 8, filters: { restaurant: 'umami alley' } });
    expect(byRestaurant.length).toBeGreaterThan(0);
    expect(byRestaurant.every((item) => item.metadata.restaurant === 'Umami Alley')).toBe(true);
    const lowRated = await retriever.retrieve('rude staff and slow service', { k: 8, filters: { maxRating: 2.5 } });
    expect(lowRated.length).toBeGreaterThan(0);
    expect(lowRated.every((item) => (item.metadata.rating ?? 99) <= 2.5)).toBe(true);
    const in2023 = await retriever.retrieve('delivery', { k: 8, filters: { from: '2023-01-01', to: '2023-12-31' } });
    expect(in2023.length).toBeGreaterThan(0);
    expect(in2023.every((item) => (item.metadata.date ?? '').startsWith('2023-'))).toBe(true);
  });

  it('filters in process exactly as Chroma does: same results as the where-clause path, broad and narrow filters', async () => {
    // the same store without `nearest`: the retriever then asks Chroma to filter (`where`)
    const whereOnly: VectorStore = {
      provider: fixture.store.provider,
      ensureCollection: (...args) => fixture.store.ensureCollection(...args),
      deleteCollection: (...args) => fixture.store.deleteCollection(...args),
      listCollections: () => fixture.store.listCollections(),
      count: (...args) => fixture.store.count(...args),
      revision: (...args) => fixture.store.revision(...args),
      maxBatchSize: () => fixture.store.maxBatchSize(),
      upsert: (...args) => fixture.store.upsert(...args),
      existingIds: (...args) => fixture.store.existingIds(...args),
      query: (...args) => fixture.store.query(...args),
      scanAll: (...args) => fixture.store.scanAll(...args),
      heartbeat: () => fixture.store.heartbeat(),
    };
    expect(whereOnly.nearest).toBeUndefined();
    const viaWhere = new HybridRetriever({ store: whereOnly, embedder });
    // over-fetch path (broad), ids path (narrow), and a filter with no over-fetch budget at all
    const narrowOnly = new HybridRetriever({ store: fixture.store, embedder, maxOverFetch: 0 });
    const cases: [string, ReviewFilters][] = [
      ['good food and friendly staff', { minRating: 3 }],
      ['delivery was late and cold', { from: '2023-01-01', maxRating: 3 }],
      ['how is the service', { restaurant: 'umami alley' }],
      ['vegan options', { minRating: 4.5, from: '2024-01-01' }],
    ];
    for (const [question, filters] of cases) {
      const expected = await viaWhere.retrieve(question, { k: 8, filters });
      expect(expected.length).toBeGreaterThan(0);
      expect(expected.every((item) => matchesFilters(item.metadata, filters))).toBe(true);
      for (const candidate of [retriever, narrowOnly]) {
        const actual = await candidate.retrieve(question, { k: 8, filters });
        expect(actual.map((item) => item.id)).toEqual(expected.map((item) => item.id));
        actual.forEach((item, index) => {
          expect(item.score).toBeCloseTo(expected[index]!.score, 5);
          expect(item.metadata).toEqual(expected[index]!.metadata);
          expect(item.text).toBe(expected[index]!.text);
        });
      }
    }
    expect(await retriever.retrieve('vegan options', { k: 5, filters: { minRating: 5, maxRating: 0 } })).toEqual([]);
  });

  it('returns one item per review, even when several chunks of a long review match', async () => {
    const results = await retriever.retrieve('Thinking back on the service, hygiene and delivery, I keep comparing', { k: 10 });
    const ids = results.map((item) => item.id);
    expect(new Set(ids).size).toBe(ids.length);
    expect(results.some((item) => (item.metadata.chunks ?? 1) > 1)).toBe(true);
  });

  it('refuses a collection built with another embedding model, telling to re-ingest with --reset', async () => {
    const other = new HybridRetriever({ store: fixture.store, embedder: new OfflineEmbeddingModel({ dimensions: 256 }) });
    await expect(other.retrieve('vegan options')).rejects.toMatchObject({ code: 'bad_request', message: expect.stringMatching(/--reset/) });
    expect(await other.retrieve('vegan options', { collection: 'not-ingested-yet' })).toEqual([]);
  });

  it('refuses a collection embedded by the previous (n-gram-only) offline model until it is re-ingested with --reset', async () => {
    const previous = new OfflineEmbeddingModel({ wordVectors: false });
    await ingestCsv({ file: sampleCsv, store: fixture.store, embedder: previous, collection: 'legacy', progress: 'none' });
    await expect(retriever.retrieve('vegan options', { collection: 'legacy' })).rejects.toMatchObject({ message: expect.stringMatching(/offline-hashed-ngram-tf-v1.*--reset|--reset.*offline-hashed-ngram-tf-v1/s) });
    // ingesting with the current model into it is refused too: the two models' vectors never mix
    await expect(ingestCsv({ file: sampleCsv, store: fixture.store, embedder, collection: 'legacy', progress: 'none' })).rejects.toThrow(/--reset/);
    await ingestCsv({ file: sampleCsv, store: fixture.store, embedder, collection: 'legacy', progress: 'none', reset: true });
    expect((await retriever.retrieve('vegan options', { collection: 'legacy' })).length).toBeGreaterThan(0);
  });

  it('checks the embedding model again after the collection is re-ingested with another model', async () => {
    const small = new OfflineEmbeddingModel({ dimensions: 256 });
    await ingestCsv({ file: sampleCsv, store: fixture.store, embedder, collection: 'switched', progress: 'none' });
    expect((await retriever.retrieve('vegan options', { collection: 'switched' })).length).toBeGreaterThan(0);
    // `ingest --reset` with another backend, from another process
    await fixture.store.deleteCollection('switched');
    await ingestCsv({ file: sampleCsv, store: fixture.store, embedder: small, collection: 'switched', progress: 'none' });
    await expect(retriever.retrieve('vegan options', { collection: 'switched' })).rejects.toMatchObject({ message: expect.stringMatching(/--reset/) });
  });

  it('sees newly ingested records (the keyword index follows the collection count)', async () => {
    expect(await retriever.retrieve('zeppelin hangar brunch', { k: 3 })).toEqual([]);
    await fixture.store.upsert('reviews', [
      { id: 'extra.csv:0#c0', text: 'Brunch in an old zeppelin hangar, with pancakes.', embedding: await embedder.embedQuery('Brunch in an old zeppelin hangar, with pancakes.'), metadata: { source: 'extra.csv', row: 0 } },
    ]);
    const results = await retriever.retrieve('zeppelin hangar brunch', { k: 3 });
    expect(results[0]?.id).toBe('extra.csv:0');
  });
});
