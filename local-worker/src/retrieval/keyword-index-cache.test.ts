import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { StoredRecord } from '../ports.js';
import { startTestChroma } from '../testing/chroma-fixture.js';
import { ChromaVectorStore } from '../vector-store/chroma-vector-store.js';
import { KeywordIndexCache } from './keyword-index-cache.js';

let fixture: Awaited<ReturnType<typeof startTestChroma>>;

beforeAll(async () => {
  fixture = await startTestChroma();
});
afterAll(async () => {
  await fixture?.stop();
});

const unit = (axis: number): number[] => Array.from({ length: 4 }, (_, index) => (index === axis ? 1 : 0));
const records = (texts: string[]): StoredRecord[] =>
  texts.map((text, row) => ({ id: `a.csv:${row}#c0`, text, embedding: unit(row % 4), metadata: { source: 'a.csv', row } }));

describe('KeywordIndexCache (real Chroma)', () => {
  it('serves the new texts after the collection is recreated by another process with the same record count', async () => {
    // the worker reads through its own store; "ingest --reset" runs in another process (another client)
    const worker = new ChromaVectorStore({ url: fixture.chroma.url });
    const ingest = new ChromaVectorStore({ url: fixture.chroma.url });
    await ingest.ensureCollection('reset', 'test-model');
    await ingest.upsert('reset', records(['old pizza', 'old pasta']));
    const cache = new KeywordIndexCache(worker);
    expect((await cache.get('reset')).record('a.csv:0#c0')?.text).toBe('old pizza');

    await ingest.deleteCollection('reset');
    await ingest.ensureCollection('reset', 'test-model');
    await ingest.upsert('reset', records(['new sushi', 'new ramen']));

    const rebuilt = await cache.get('reset');
    expect([rebuilt.record('a.csv:0#c0')?.text, rebuilt.record('a.csv:1#c0')?.text]).toEqual(['new sushi', 'new ramen']);
    // built once for the new collection, then reused
    expect(await cache.get('reset')).toBe(rebuilt);
  });

  it('rebuilds when the record count changes and reuses the index while it does not', async () => {
    const store = new ChromaVectorStore({ url: fixture.chroma.url });
    await store.ensureCollection('grow', 'test-model');
    await store.upsert('grow', records(['one', 'two']));
    const cache = new KeywordIndexCache(store);
    const first = await cache.get('grow');
    expect(await cache.get('grow')).toBe(first);
    await store.upsert('grow', records(['one', 'two', 'three']));
    const grown = await cache.get('grow');
    expect(grown).not.toBe(first);
    expect(grown.size).toBe(3);
  });
});
