/**
 * `npx tsx --conditions=development scripts/src/eval-retrieval.ts --csv FILE --questions FILE [--k 5]
 *   [--ngram-only | --word-vectors-v2] [--semantic-share λ]`
 * Ingests the CSV with the offline embedding model into a scratch collection and prints recall@k
 * of vector-only, BM25-only and hybrid retrieval for the question set. `--ngram-only` measures the
 * first offline model (hashed n-grams without word vectors), `--word-vectors-v2` the second
 * (`offline-hashed-ngram-wv-v2`), for same-run comparisons.
 */
import { readFile } from 'node:fs/promises';
import { basename } from 'node:path';
import { parseArgs } from 'node:util';
import { ingestCsv, OfflineEmbeddingModel, evaluateRetrieval, QuestionSetSchema } from '@review-assistant/local-worker';
import { connectVectorStore } from './cli/vector-store-connection.js';

async function main(): Promise<void> {
  const { values } = parseArgs({
    options: {
      csv: { type: 'string' },
      questions: { type: 'string' },
      k: { type: 'string', default: '5' },
      collection: { type: 'string' },
      verbose: { type: 'boolean', default: false },
      'ngram-only': { type: 'boolean', default: false },
      'word-vectors-v2': { type: 'boolean', default: false },
      'semantic-share': { type: 'string' },
    },
  });
  if (values.csv === undefined || values.questions === undefined) {
    throw new Error('usage: eval-retrieval.ts --csv reviews.csv --questions questions.json [--k 5] [--collection NAME] [--verbose]');
  }
  const k = Number(values.k);
  if (!Number.isInteger(k) || k < 1) throw new Error('--k must be a positive integer');
  const questionSet = QuestionSetSchema.parse(JSON.parse(await readFile(values.questions, 'utf8')));
  const collection = values.collection ?? `eval-${basename(values.csv).replace(/[^a-zA-Z0-9]+/g, '-').replace(/-+$/, '')}`;
  const connection = await connectVectorStore({ dataDir: process.env['DATA_DIR'] ?? './data', chromaUrl: process.env['CHROMA_URL'] });
  try {
    const share = values['semantic-share'] === undefined ? undefined : Number(values['semantic-share']);
    const embedder = new OfflineEmbeddingModel({
      ...(values['ngram-only'] ? { wordVectors: false as const } : {}),
      ...(values['word-vectors-v2'] ? { semanticVersion: 2 as const } : {}),
      ...(share === undefined ? {} : { semanticShare: share }),
    });
    await ingestCsv({ file: values.csv, store: connection.store, embedder, collection, reset: true, progress: 'none' });
    const result = await evaluateRetrieval({ store: connection.store, embedder, collection, questionSet, k });
    console.log(`recall@${k} over ${result.questions} questions (${embedder.modelId})`);
    console.log(`  vector-only  ${result.recall.vector.toFixed(3)}`);
    console.log(`  BM25-only    ${result.recall.keyword.toFixed(3)}`);
    console.log(`  hybrid       ${result.recall.hybrid.toFixed(3)}`);
    if (result.unrelatedEmpty !== null) console.log(`  unrelated questions with no results: ${(result.unrelatedEmpty * 100).toFixed(0)}%`);
    if (values.verbose) for (const miss of result.misses) console.log(`  miss: ${miss.question} expected ${miss.expected.join(',')} got ${miss.returned.join(',')}`);
    await connection.store.deleteCollection(collection);
  } finally {
    await connection.close();
  }
}

main().catch((error: unknown) => {
  console.error(error instanceof Error ? error.message : error);
  process.exit(1);
});
