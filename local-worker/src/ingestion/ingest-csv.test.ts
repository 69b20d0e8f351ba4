import { existsSync } from 'node:fs';
import { mkdtemp, readFile, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { OfflineEmbeddingModel } from '../models/offline-embeddings.js';
import { startTestChroma } from '../testing/chroma-fixture.js';
import { parseCsv } from './csv-reader.js';
import { formatIngestSummary, ingestCsv } from './ingest-csv.js';
import { reviewIdOf } from './review-records.js';
import type { EmbeddingModel, StoredRecord, VectorStore } from '../ports.js';
import { searchableText } from '../text/searchable-text.js';

const repoRoot = resolve(dirname(fileURLToPath(import.meta.url)), '..', '..', '..');
const sampleCsv = join(repoRoot, 'data', 'sample', 'reviews.csv');
const sharedReviews = join(repoRoot, '..', 'shared', 'data', 'reviews');
const realisticCsv = join(sharedReviews, 'realistic_restaurant_reviews.csv');
const zomatoCsv = join(sharedReviews, 'zomato_hyderabad_restaurant_reviews.csv');
// The real review CSVs (outside the repository, unclear licences) are read in addition when present;
// the tests always run on files generated from the project's own sample in the same shapes.
const sharedWhenPresent = (file: string): string[] => {
  if (existsSync(file)) return [file];
  console.info(`${file} is absent: ingesting only the generated CSV of the same shape`);
  return [];
};

const quote = (value: string) => `"${value.replaceAll('"', '""')}"`;

/** The sample reviews in the realistic CSV's layout: Title, Date, Rating, Review (LF, some blank reviews). */
async function writeRealisticShapedCsv(folder: string): Promise<string> {
  const sample = parseCsv(await readFile(sampleCsv, 'utf8'));
  const lines = ['Title,Date,Rating,Review'];
  sample.rows.forEach((row, index) => {
    const review = index % 9 === 4 ? '' : row['review'] ?? '';
    lines.push([quote(row['title'] ?? ''), row['date'] ?? '', row['rating'] ?? '', quote(review)].join(','));
  });
  const file = join(folder, 'realistic-shaped.csv');
  await writeFile(file, `${lines.join('\n')}\n`, 'utf8');
  return file;
}

/**
 * The sample reviews repeated to 2,000 rows in the Zomato CSV's layout and quirks: Restaurant,
 * Reviewer, Review, Rating, Metadata, Time, Pictures; CRLF line ends, quoted newlines, emoji, half-star,
 * "Like" and empty ratings, empty reviews.
 */
async function writeZomatoShapedCsv(folder: string): Promise<string> {
  const sample = parseCsv(await readFile(sampleCsv, 'utf8'));
  const ratings = ['4', '4.5', '', 'Like', '2.5', '5', '1'];
  const lines = ['Restaurant,Reviewer,Review,Rating,Metadata,Time,Pictures'];
  for (let index = 0; index < 2000; index += 1) {
    const row = sample.rows[index % sample.rows.length]!;
    const review = index % 13 === 5 ? '' : index % 5 === 0 ? `${row['review']}\r\nUpdate: went back 🍛 and it was the same.` : row['review'] ?? '';
    lines.push([quote(row['restaurant'] ?? ''), quote(row['reviewer'] ?? ''), quote(review), ratings[index % ratings.length], quote(`${index % 40} Reviews , ${index % 7} Followers`), `5/${(index % 28) + 1}/2019 ${index % 24}:15`, String(index % 3)].join(','));
  }
  const file = join(folder, 'zomato-shaped.csv');
  await writeFile(file, `${lines.join('\r\n')}\r\n`, 'utf8');
  return file;
}

/**
 * Independent count of rows whose review column is non-blank: a hand-written RFC 4180 state
 * machine (not csv-parse), so a parser bug in the product cannot hide in the expectation.
 */
function countNonEmptyReviews(text: string, column: string): { rows: number; nonEmpty: number } {
  const records: string[][] = [];
  let field = '';
  let record: string[] = [];
  let quoted = false;
  const body = text.replace(/^\uFEFF/, '');
  for (let index = 0; index < body.length; index += 1) {
    const character = body[index]!;
    if (quoted) {
      if (character === '"' && body[index + 1] === '"') {
        field += '"';
        index += 1;
      } else if (character === '"') quoted = false;
      else field += character;
    } else if (character === '"') quoted = true;
    else if (character === ',') {
      record.push(field);
      field = '';
    } else if (character === '\n' || character === '\r') {
      if (character === '\r' && body[index + 1] === '\n') index += 1;
      record.push(field);
      records.push(record);
      record = [];
      field = '';
    } else field += character;
  }
  if (field !== '' || record.length > 0) records.push([...record, field]);
  const [header, ...rows] = records.filter((row) => !(row.length === 1 && row[0] === ''));
  const at = header!.indexOf(column);
  return { rows: rows.length, nonEmpty: rows.filter((row) => (row[at] ?? '').trim() !== '').length };
}

let fixture: Awaited<ReturnType<typeof startTestChroma>>;
// small vectors: these tests are about records and counts, not retrieval quality
const embedder = new OfflineEmbeddingModel({ dimensions: 64 });
beforeAll(async () => {
  fixture = await startTestChroma();
});
afterAll(async () => {
  await fixture?.stop();
});

async function allIds(collection: string): Promise<string[]> {
  const ids: string[] = [];
  for await (const page of fixture.store.scanAll(collection)) ids.push(...page.map((record) => record.id));
  return ids;
}

describe('ingestCsv (real Chroma)', () => {
  it('ingests the sample CSV: one record set per review, long ones chunked, metadata kept', async () => {
    const expected = countNonEmptyReviews(await readFile(sampleCsv, 'utf8'), 'review');
    const summary = await ingestCsv({ file: sampleCsv, store: fixture.store, embedder, collection: 'sample', progress: 'none' });
    expect(summary.rowsRead).toBe(expected.rows);
    expect(summary.reviews).toBe(expected.nonEmpty);
    expect(summary.chunkedReviews).toBeGreaterThan(0);
    const ids = await allIds('sample');
    expect(new Set(ids).size).toBe(ids.length);
    expect(new Set(ids.map(reviewIdOf)).size).toBe(expected.nonEmpty);
    expect(summary.collectionCount).toBe(ids.length);
    const [first] = await fixture.store.query('sample', await embedder.embedQuery('vegan'), { k: 1 });
    expect(first!.metadata).toMatchObject({ source: 'reviews.csv', row: expect.any(Number), restaurant: expect.any(String), rating: expect.any(Number), date: expect.stringMatching(/^\d{4}-\d{2}-\d{2}$/) });
  });

  it('upserts on a repeated run: nothing rewritten, the same count', async () => {
    const before = await fixture.store.count('sample');
    const summary = await ingestCsv({ file: sampleCsv, store: fixture.store, embedder, collection: 'sample', progress: 'none' });
    expect(summary.reviewsWritten).toBe(0);
    expect(summary.alreadyPresent).toBe(summary.reviews);
    expect(await fixture.store.count('sample')).toBe(before);
    const reset = await ingestCsv({ file: sampleCsv, store: fixture.store, embedder, collection: 'sample', reset: true, progress: 'none' });
    expect(reset.reviewsWritten).toBe(reset.reviews);
    expect(await fixture.store.count('sample')).toBe(before);
  });

  it('gives every record the vector of its own text when embedding slices straddle write batches', async () => {
    // a counting embedder whose vectors depend on the text, and a store that keeps what it is given
    const calls: number[] = [];
    let inFlight = 0;
    let mostInFlight = 0;
    const counting: EmbeddingModel = {
      provider: 'offline',
      modelId: embedder.modelId,
      embedQuery: (text) => embedder.embedQuery(text),
      async embedDocuments(texts) {
        calls.push(texts.length);
        inFlight += 1;
        mostInFlight = Math.max(mostInFlight, inFlight);
        await new Promise((resolveLater) => setTimeout(resolveLater, 2));
        inFlight -= 1;
        return embedder.embedDocuments(texts);
      },
    };
    const written: StoredRecord[][] = [];
    const recording = Object.create(fixture.store, {
      upsert: { value: async (name: string, records: StoredRecord[]) => { written.push(records); await fixture.store.upsert(name, records); } },
    }) as VectorStore;
    const summary = await ingestCsv({ file: sampleCsv, store: recording, embedder: counting, collection: 'slices', reset: true, progress: 'none', embedBatchSize: 5, writeBatchSize: 7, concurrency: 3 });
    const records = written.flat();
    expect(records).toHaveLength(summary.recordsWritten);
    expect(calls).toHaveLength(Math.ceil(summary.recordsWritten / 5));
    expect(calls.slice(0, -1).every((size) => size === 5)).toBe(true);
    expect(mostInFlight).toBe(3);
    expect(written.every((batch) => batch.length <= 7)).toBe(true);
    const expectedVectors = await embedder.embedDocuments(records.map((record) => searchableText(record.text, record.metadata)));
    records.forEach((record, index) => expect(record.embedding).toEqual(expectedVectors[index]));
    // batches never split a review
    const reviewsPerBatch = written.map((batch) => new Set(batch.map((record) => reviewIdOf(record.id))));
    for (let index = 1; index < reviewsPerBatch.length; index += 1) {
      for (const review of reviewsPerBatch[index]!) expect(reviewsPerBatch[index - 1]!.has(review)).toBe(false);
    }
  });

  it('rejects a broken CSV with invalid_csv and writes nothing', async () => {
    const folder = await mkdtemp(join(tmpdir(), 'broken-csv-'));
    const broken = join(folder, 'broken.csv');
    await writeFile(broken, 'Restaurant,Review,Rating\nA,fine,5\nB,"unterminated,4\nC,ok,3\n');
    await expect(ingestCsv({ file: broken, store: fixture.store, embedder, collection: 'broken', progress: 'none' })).rejects.toMatchObject({ code: 'invalid_csv' });
    expect((await fixture.store.listCollections()).map((collection) => collection.name)).not.toContain('broken');
    await expect(ingestCsv({ file: join(folder, 'absent.csv'), store: fixture.store, embedder, collection: 'broken', progress: 'none' })).rejects.toThrow(/no such file/);
  });

  it('ingests a CSV in the realistic layout (Title, Date, Rating, Review) with the count of non-empty reviews', async () => {
    const folder = await mkdtemp(join(tmpdir(), 'realistic-shaped-'));
    const files = [await writeRealisticShapedCsv(folder), ...sharedWhenPresent(realisticCsv)];
    for (const [index, file] of files.entries()) {
      const expected = countNonEmptyReviews(await readFile(file, 'utf8'), 'Review');
      if (index === 0) expect(expected.nonEmpty).toBeLessThan(expected.rows); // the generated file has blank reviews
      const collection = `realistic-${index}`;
      const summary = await ingestCsv({ file, store: fixture.store, embedder, collection, progress: 'none' });
      expect(summary.mapping).toMatchObject({ text: 'Review', title: 'Title', date: 'Date', rating: 'Rating' });
      expect(summary.reviews).toBe(expected.nonEmpty);
      expect(new Set((await allIds(collection)).map(reviewIdOf)).size).toBe(expected.nonEmpty);
    }
  });

  it(
    'ingests every row of a Zomato-layout CSV: empty reviews skipped with a reason, one record set per non-empty review',
    async () => {
      const folder = await mkdtemp(join(tmpdir(), 'zomato-shaped-'));
      const files = [await writeZomatoShapedCsv(folder), ...sharedWhenPresent(zomatoCsv)];
      for (const [index, file] of files.entries()) {
        const expected = countNonEmptyReviews(await readFile(file, 'utf8'), 'Review');
        const collection = `zomato-${index}`;
        const summary = await ingestCsv({ file, store: fixture.store, embedder, collection, progress: 'none', writeBatchSize: 1000 });
        expect(summary.rowsRead).toBe(expected.rows);
        expect(summary.reviews).toBe(expected.nonEmpty);
        expect(summary.skipped['empty review text']).toBe(expected.rows - expected.nonEmpty);
        if (index === 0) {
          // the generated file's "Like" ratings on kept rows are reported, not dropped in silence
          const likes = Array.from({ length: 2000 }, (_, row) => row).filter((row) => row % 7 === 3 && row % 13 !== 5).length;
          expect(summary.unreadable).toEqual({ rating: likes });
          expect(formatIngestSummary(summary)).toContain(`unreadable:      ${likes} rating (kept without it)`);
        }
        const ids = await allIds(collection);
        expect(new Set(ids).size).toBe(ids.length);
        expect(new Set(ids.map(reviewIdOf)).size).toBe(expected.nonEmpty);
        const ratings = new Set<number | null>();
        for await (const page of fixture.store.scanAll(collection)) for (const record of page) ratings.add(record.metadata.rating ?? null);
        expect(ratings).toContain(4.5);
        expect(ratings).toContain(null); // "Like" and empty ratings
      }
    },
    240_000,
  );
});
