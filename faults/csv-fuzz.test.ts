import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { AppError } from '@review-assistant/shared';
import { ingestCsv, type IngestSummary, OfflineEmbeddingModel, ChromaVectorStore } from '@review-assistant/local-worker';
import { startChroma, tempDir, type TestChroma } from './support/stack.js';

/**
 * CSV fuzzing of ingestion into a real Chroma: well-formed files with hostile fields (quotes,
 * newlines, emoji, control characters, invalid UTF-8, odd ratings and dates, empty texts) and
 * broken files (ragged rows, stray quotes, bad headers, random bytes). Every run either ingests
 * with every row accounted for (a review, or a skip with its reason), or refuses the file with an
 * `invalid_csv` error naming the problem and writes nothing. Never a crash, never another error.
 */

const WELL_FORMED_RUNS = 40;
const BROKEN_RUNS = 40;

let chroma: TestChroma;
let dirs: Awaited<ReturnType<typeof tempDir>>;
let store: ChromaVectorStore;
const embedder = new OfflineEmbeddingModel();
let runNumber = 0;

beforeAll(async () => {
  chroma = await startChroma();
  dirs = await tempDir('csv-fuzz');
  store = new ChromaVectorStore({ url: chroma.chroma.url });
});

afterAll(async () => {
  await chroma?.stop();
  await dirs?.cleanup();
});

const hostileText = fc.oneof(
  fc.string({ maxLength: 80 }),
  fc.string({ unit: 'grapheme', maxLength: 80 }),
  fc.constantFrom('', '   ', '\u0000\u0007', 'line one\nline two', 'crlf\r\ninside', 'He said ""wow""', '😋🌱✨', '\ufeffbom', '=cmd|/c calc!A1', '<script>x</script>', 'x'.repeat(6000)),
);
const rating = fc.oneof(fc.constantFrom('5', '4.5', '3,5', '0', '-1', '11', 'Like', 'NaN', '', ' 2 ', '1e3', '4/5'), fc.string({ maxLength: 5 }));
const date = fc.oneof(fc.constantFrom('2024-05-01', '05/01/2024', '2024-13-45', 'yesterday', '', '1/1/70 12:00', '9999-12-31T99:99'), fc.string({ maxLength: 12 }));

/** Quotes one field the RFC 4180 way. */
const field = (value: string) => `"${value.replace(/"/g, '""')}"`;

const wellFormed = fc
  .record({
    textColumn: fc.constantFrom('review', 'Review', 'review_text', 'Comments'),
    rows: fc.array(fc.record({ restaurant: hostileText, text: hostileText, rating, date }), { minLength: 1, maxLength: 25 }),
    lineEnding: fc.constantFrom('\n', '\r\n'),
    bom: fc.boolean(),
  })
  .map(({ textColumn, rows, lineEnding, bom }) => ({
    rows,
    csv: `${bom ? '\ufeff' : ''}${[`restaurant,${textColumn},rating,date`, ...rows.map((row) => [row.restaurant, row.text, row.rating, row.date].map(field).join(','))].join(lineEnding)}${lineEnding}`,
  }));

/** Broken files: a well-formed file damaged at a random place, or noise. */
const broken = fc.oneof(
  fc.tuple(wellFormed, fc.nat(), fc.constantFrom('"', ',', '\n', '""x"', '\u0000', 'a,b,c,d,e,f\n')).map(([{ csv }, at, insert]) => {
    const position = at % (csv.length + 1);
    return Buffer.from(`${csv.slice(0, position)}${insert}${csv.slice(position)}`);
  }),
  fc.constantFrom('', '\n\n', 'review\n', ',review\nx,y\n', 'review,review\na,b\n', 'a,b\n1,2,3\n', '"unterminated,review\n'),
  fc.uint8Array({ maxLength: 400 }).map((bytes) => Buffer.concat([Buffer.from('restaurant,review,rating\n'), Buffer.from(bytes)])),
  fc.uint8Array({ maxLength: 200 }).map((bytes) => Buffer.from(bytes)),
).map((value) => (typeof value === 'string' ? Buffer.from(value) : value));

/** Ingests `bytes` as a CSV into a fresh collection; returns the summary or the typed error. */
async function ingestBytes(bytes: Buffer | string): Promise<{ collection: string; summary?: IngestSummary; error?: unknown }> {
  runNumber += 1;
  const collection = `fuzz-${runNumber}`;
  const file = join(dirs.path, `fuzz-${runNumber}.csv`);
  await writeFile(file, bytes);
  try {
    return { collection, summary: await ingestCsv({ file, store, embedder, collection, progress: 'none' }) };
  } catch (error) {
    return { collection, error };
  }
}

async function countOrZero(collection: string): Promise<number> {
  try {
    return await store.count(collection);
  } catch (error) {
    if (error instanceof AppError && error.code === 'not_found') return 0;
    throw error;
  }
}

describe('CSV fuzzing of ingestion (real Chroma)', () => {
  it(`ingests ${WELL_FORMED_RUNS} well-formed files with hostile fields, every row accounted for`, async () => {
    let rows = 0;
    let skipped = 0;
    let unreadable = 0;
    await fc.assert(
      fc.asyncProperty(wellFormed, async ({ rows: generated, csv }) => {
        const { summary, error } = await ingestBytes(csv);
        expect(error).toBeUndefined();
        expect(summary!.rowsRead).toBe(generated.length);
        expect(summary!.reviews + (summary!.skipped['empty review text'] ?? 0)).toBe(generated.length);
        expect(summary!.recordsWritten).toBe(summary!.collectionCount);
        expect(summary!.reviews).toBeLessThanOrEqual(summary!.collectionCount);
        // a kept review that lost its rating or date to an unreadable value is counted, never more than once per field
        for (const count of Object.values(summary!.unreadable)) expect(count).toBeLessThanOrEqual(summary!.reviews);
        unreadable += Object.values(summary!.unreadable).reduce((total, count) => total + count, 0);
        rows += generated.length;
        skipped += summary!.skipped['empty review text'] ?? 0;
      }),
      { numRuns: WELL_FORMED_RUNS },
    );
    console.info(`[faults] CSV fuzz: ${WELL_FORMED_RUNS} well-formed files, ${rows} rows, ${skipped} reported as skipped (empty review text), ${unreadable} unreadable ratings or dates reported`);
  });

  it(`refuses ${BROKEN_RUNS} broken files with invalid_csv and writes nothing (or ingests what is still valid)`, async () => {
    let refused = 0;
    await fc.assert(
      fc.asyncProperty(broken, async (bytes) => {
        const { collection, summary, error } = await ingestBytes(bytes);
        if (error !== undefined) {
          expect(error, String(error)).toBeInstanceOf(AppError);
          expect((error as AppError).code).toBe('invalid_csv');
          expect((error as AppError).message.length).toBeGreaterThan(10);
          expect(await countOrZero(collection)).toBe(0);
          refused += 1;
        } else {
          expect(summary!.reviews + (summary!.skipped['empty review text'] ?? 0)).toBe(summary!.rowsRead);
          expect(summary!.recordsWritten).toBe(summary!.collectionCount);
        }
      }),
      { numRuns: BROKEN_RUNS },
    );
    console.info(`[faults] CSV fuzz: ${BROKEN_RUNS} broken files, ${refused} refused with invalid_csv, the rest ingested with every row accounted for`);
    expect(refused).toBeGreaterThan(0);
  });
});
