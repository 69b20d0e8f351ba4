import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { StoredRecord } from '../ports.js';
import { startTestChroma } from '../testing/chroma-fixture.js';
import { ChromaVectorStore, EmbeddingModelMismatchError } from './chroma-vector-store.js';

let fixture: Awaited<ReturnType<typeof startTestChroma>>;
beforeAll(async () => {
  fixture = await startTestChroma();
});
afterAll(async () => {
  await fixture?.stop();
});

const unit = (index: number, size = 8): number[] => Array.from({ length: size }, (_, position) => (position === index ? 1 : 0));

const records: StoredRecord[] = [
  { id: 'a.csv:0#c0', text: 'first', embedding: unit(0), metadata: { source: 'a.csv', row: 0, restaurant: 'Casa', restaurantKey: 'casa', rating: 5, date: '2024-01-10', dateEpoch: Date.UTC(2024, 0, 10) / 1000 } },
  { id: 'a.csv:1#c0', text: 'second', embedding: unit(1), metadata: { source: 'a.csv', row: 1, restaurant: 'Casa', restaurantKey: 'casa', rating: 2.5, date: '2024-02-10', dateEpoch: Date.UTC(2024, 1, 10) / 1000 } },
  { id: 'a.csv:2#c0', text: 'third', embedding: [0.8, 0.6, 0, 0, 0, 0, 0, 0], metadata: { source: 'a.csv', row: 2, restaurant: 'Umami', restaurantKey: 'umami', rating: 4, date: '2024-03-10', dateEpoch: Date.UTC(2024, 2, 10) / 1000 } },
  { id: 'a.csv:3#c0', text: 'no rating', embedding: unit(3), metadata: { source: 'a.csv', row: 3, title: 'Untitled ✨' } },
];

describe('ChromaVectorStore (real Chroma server)', () => {
  it('creates a cosine collection recording the embedding model and upserts without duplicates', async () => {
    const info = await fixture.store.ensureCollection('basics', 'model-a');
    expect(info).toEqual({ name: 'basics', count: 0, embeddingModel: 'model-a' });
    await fixture.store.upsert('basics', records);
    await fixture.store.upsert('basics', records.slice(0, 2));
    expect(await fixture.store.count('basics')).toBe(4);
    expect(await fixture.store.maxBatchSize()).toBeGreaterThan(100);
    expect((await fixture.store.listCollections()).find((collection) => collection.name === 'basics')).toEqual({ name: 'basics', count: 4, embeddingModel: 'model-a' });
  });

  it('answers queries with cosine distances and the stored text and metadata', async () => {
    const matches = await fixture.store.query('basics', [2, 0, 0, 0, 0, 0, 0, 0], { k: 3 });
    expect(matches.map((match) => match.id)).toEqual(['a.csv:0#c0', 'a.csv:2#c0', expect.any(String)]);
    expect(matches[0]!.distance).toBeCloseTo(0, 5); // cosine ignores the length of the query vector
    expect(matches[1]!.distance).toBeCloseTo(0.2, 5);
    expect(matches[0]!.metadata).toMatchObject({ source: 'a.csv', row: 0, restaurant: 'Casa', rating: 5 });
    expect(matches[0]!.text).toBe('first');
  });

  it('returns ids and distances alone from nearest, the same order as query, optionally among given ids', async () => {
    const full = await fixture.store.query('basics', [2, 0, 0, 0, 0, 0, 0, 0], { k: 4 });
    const bare = await fixture.store.nearest('basics', [2, 0, 0, 0, 0, 0, 0, 0], { k: 4 });
    expect(bare.map((neighbour) => neighbour.id)).toEqual(full.map((match) => match.id));
    bare.forEach((neighbour, index) => expect(neighbour.distance).toBeCloseTo(full[index]!.distance, 6));
    expect(Object.keys(bare[0]!).sort()).toEqual(['distance', 'id']);
    const among = await fixture.store.nearest('basics', unit(0), { k: 10, ids: ['a.csv:1#c0', 'a.csv:3#c0'] });
    expect(among.map((neighbour) => neighbour.id).sort()).toEqual(['a.csv:1#c0', 'a.csv:3#c0']);
    expect(await fixture.store.nearest('basics', unit(0), { k: 3, ids: [] })).toEqual([]);
    expect(await fixture.store.nearest('missing', unit(0), { k: 3 })).toEqual([]);
  });

  it('maps restaurant, rating and date filters to Chroma where clauses', async () => {
    const ids = async (filters: Parameters<ChromaVectorStore['query']>[2]['filters']): Promise<string[]> =>
      (await fixture.store.query('basics', unit(0), { k: 10, filters })).map((match) => match.id).sort();
    expect(await ids({ restaurant: 'CASA' })).toEqual(['a.csv:0#c0', 'a.csv:1#c0']);
    expect(await ids({ minRating: 3 })).toEqual(['a.csv:0#c0', 'a.csv:2#c0']);
    expect(await ids({ minRating: 2, maxRating: 3 })).toEqual(['a.csv:1#c0']);
    // half-star bounds against ratings stored as integers (5, 4) and as a float (2.5)
    expect(await ids({ minRating: 4.5 })).toEqual(['a.csv:0#c0']);
    expect(await ids({ minRating: 2.5 })).toEqual(['a.csv:0#c0', 'a.csv:1#c0', 'a.csv:2#c0']);
    expect(await ids({ minRating: 3.5, maxRating: 4.5 })).toEqual(['a.csv:2#c0']);
    expect(await ids({ maxRating: 2.5 })).toEqual(['a.csv:1#c0']);
    expect(await ids({ from: '2024-02-01', to: '2024-03-10' })).toEqual(['a.csv:1#c0', 'a.csv:2#c0']);
    expect(await ids({ restaurant: 'Casa', to: '2024-01-31' })).toEqual(['a.csv:0#c0']);
  });

  it('finds existing ids and scans every record page by page', async () => {
    expect(await fixture.store.existingIds('basics', ['a.csv:1#c0', 'a.csv:9#c0'])).toEqual(new Set(['a.csv:1#c0']));
    const paged = new ChromaVectorStore({ url: fixture.chroma.url, scanPageSize: 3 });
    const pages: number[] = [];
    const ids: string[] = [];
    for await (const page of paged.scanAll('basics')) {
      pages.push(page.length);
      ids.push(...page.map((record) => record.id));
    }
    expect(pages).toEqual([3, 1]);
    expect(ids.sort()).toEqual(records.map((record) => record.id).sort());
  });

  it('refuses a collection built with another embedding model, naming --reset', async () => {
    const other = new ChromaVectorStore({ url: fixture.chroma.url });
    await expect(other.ensureCollection('basics', 'model-b')).rejects.toThrow(EmbeddingModelMismatchError);
    await expect(other.ensureCollection('basics', 'model-b')).rejects.toThrow(/--reset/);
  });

  it('treats a missing collection as empty and deletes collections', async () => {
    expect(await fixture.store.count('missing')).toBe(0);
    expect(await fixture.store.query('missing', unit(0), { k: 3 })).toEqual([]);
    expect(await fixture.store.existingIds('missing', ['x'])).toEqual(new Set());
    await fixture.store.deleteCollection('basics');
    expect(await fixture.store.count('basics')).toBe(0);
    await expect(fixture.store.upsert('basics', records)).rejects.toMatchObject({ code: 'not_found' });
  });

  it('reports an unreachable server as vector_store_unavailable', async () => {
    const dead = new ChromaVectorStore({ url: 'http://127.0.0.1:9' });
    expect(await dead.heartbeat()).toBe(false);
    await expect(dead.count('anything')).rejects.toMatchObject({ code: 'vector_store_unavailable' });
  });
});
