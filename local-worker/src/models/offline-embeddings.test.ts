import { describe, expect, it } from 'vitest';
import { OFFLINE_EMBEDDING_MODEL_ID, OFFLINE_NGRAM_MODEL_ID, OFFLINE_WORD_VECTOR_V2_MODEL_ID, OfflineEmbeddingModel } from './offline-embeddings.js';

const dot = (left: number[], right: number[]): number => left.reduce((sum, value, index) => sum + value * right[index]!, 0);
/** The word-vector part of an embedding (after the 1024 hashed dimensions), normalised. */
const semantic = (vector: number[]): number[] => {
  const part = vector.slice(1024);
  const norm = Math.sqrt(dot(part, part));
  return norm === 0 ? part : part.map((value) => value / norm);
};

describe('OfflineEmbeddingModel', () => {
  const model = new OfflineEmbeddingModel();

  it('returns deterministic unit vectors of the configured length', async () => {
    const [first] = await model.embedDocuments(['The vegan tacos were great 🌮']);
    const again = await new OfflineEmbeddingModel().embedDocuments(['The vegan tacos were great 🌮']);
    expect(first).toHaveLength(1024 + 100);
    expect(first).toEqual(again[0]);
    expect(await model.embedQuery('tacos al pastor')).toEqual(model.embed('tacos al pastor')); // no thesaurus word
    expect(dot(first!, first!)).toBeCloseTo(1, 10);
    expect(new OfflineEmbeddingModel({ dimensions: 256 }).embed('x y z')).toHaveLength(256 + 100);
    expect(new OfflineEmbeddingModel({ wordVectors: false }).embed('x y z')).toHaveLength(1024);
  });

  it('puts texts about the same thing closer than unrelated ones', async () => {
    const query = await model.embedQuery('Do they have vegan options?');
    const [related, unrelated] = await model.embedDocuments(['Plenty of vegan dishes and plant-based cheese.', 'The parking lot was full and the music loud.']);
    expect(dot(query, related!)).toBeGreaterThan(dot(query, unrelated!) + 0.1);
  });

  it('expands queries with related diner words, but not documents', async () => {
    const [review] = await model.embedDocuments(['Our kids loved the place.']);
    const plain = new OfflineEmbeddingModel({ expandQueries: false });
    expect(dot(await model.embedQuery('children'), review!)).toBeGreaterThan(dot(await plain.embedQuery('children'), review!) + 0.05);
  });

  it('matches word forms through stems and character n-grams', () => {
    const similarity = dot(model.embed('greasy pizzas'), model.embed('the pizza was grease-soaked'));
    expect(similarity).toBeGreaterThan(0.2);
  });

  it('gives a zero vector for text without index terms, and honours an aborted signal', async () => {
    expect(model.embed('the and of ???').every((value) => value === 0)).toBe(true);
    await expect(model.embedQuery('x', AbortSignal.abort())).rejects.toThrow();
  });

  it('is a new model id, so collections embedded by earlier offline models are re-ingested, not mixed', () => {
    expect(model.modelId).toBe(OFFLINE_EMBEDDING_MODEL_ID);
    expect(new OfflineEmbeddingModel({ wordVectors: false }).modelId).toBe(OFFLINE_NGRAM_MODEL_ID);
    expect(new OfflineEmbeddingModel({ semanticVersion: 2 }).modelId).toBe(OFFLINE_WORD_VECTOR_V2_MODEL_ID);
    expect(new Set([OFFLINE_EMBEDDING_MODEL_ID, OFFLINE_WORD_VECTOR_V2_MODEL_ID, OFFLINE_NGRAM_MODEL_ID]).size).toBe(3);
    expect(new OfflineEmbeddingModel({ semanticShare: 0.5 }).modelId).toBe(`${OFFLINE_EMBEDDING_MODEL_ID}-l0.5`);
  });

  it('finds words of the same meaning that share no letters through the word vectors', () => {
    const ngramOnly = new OfflineEmbeddingModel({ wordVectors: false });
    const pairs: Array<[string, string]> = [
      ['plant-based menu', 'lots of vegan dishes'],
      ['tasty seafood', 'delicious fish and shrimp'],
      ['cheap eats', 'very affordable prices'],
    ];
    for (const [query, review] of pairs) {
      expect(dot(model.embed(query), model.embed(review)), query).toBeGreaterThan(dot(ngramOnly.embed(query), ngramOnly.embed(review)) + 0.08);
    }
  });

  it('keeps unrelated texts apart (the direction all averaged texts share is removed)', () => {
    expect(dot(model.embed('how do I fix the brakes of my car'), model.embed('The pasta was delicious and the waiter friendly.'))).toBeLessThan(0.15);
  });

  it('looks contractions and possessives up in the word vectors as the vectors know them', () => {
    // the vectors know "chef" and "children", not "chef's" or "children’s": they are read as the word itself
    expect(semantic(model.embed("The chef's tasting menu"))).toEqual(semantic(model.embed('The chef tasting menu')));
    expect(semantic(model.embed('No children’s menu'))).toEqual(semantic(model.embed('No children menu')));
    // the n-gram part still reads them without apostrophes, as BM25 does
    expect(model.embed("The chef's tasting menu").slice(0, 1024)).not.toEqual(model.embed('The chef tasting menu').slice(0, 1024));
  });

  it('gives the word vectors of a query the words of its thesaurus groups', async () => {
    const asWritten = new OfflineEmbeddingModel({ expandQueries: false });
    const pairs: Array<[string, string]> = [
      ['How long is the queue?', 'We waited forever for a table.'],
      ['Is it romantic?', 'Perfect for our anniversary date.'],
    ];
    for (const [query, review] of pairs) {
      const document = semantic(model.embed(review));
      expect(dot(semantic(await model.embedQuery(query)), document), query).toBeGreaterThan(dot(semantic(await asWritten.embedQuery(query)), document) + 0.2);
    }
  });
});
