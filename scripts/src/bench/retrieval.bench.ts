/**
 * Retrieval at 10,000 reviews (Zomato) with the offline backend: latency p50/p99 of hybrid
 * retrieval excluding query embedding (queries are embedded beforehand), next to its two parts;
 * and recall@5 on the 123 realistic reviews for vector-only, BM25-only and hybrid retrieval.
 */
import { readFile } from 'node:fs/promises';
import { ingestCsv, OfflineEmbeddingModel, type EmbeddingModel, type VectorStore, HybridRetriever, KeywordIndexCache, evaluateRetrieval, QuestionSetSchema } from '@review-assistant/local-worker';
import type { ReviewFilters } from '@review-assistant/shared';
import { percentile, type BenchSection } from './types.js';
import { benchChroma, realisticCsv, realisticQuestions, repoRoot, sharedDataMissing, zomatoCsv } from './review-data.js';

/** Serves query vectors computed beforehand, so timings exclude embedding. */
class PrecomputedQueries implements EmbeddingModel {
  readonly provider: string;
  readonly modelId: string;
  private readonly vectors = new Map<string, number[]>();
  constructor(private readonly inner: OfflineEmbeddingModel) {
    this.provider = inner.provider;
    this.modelId = inner.modelId;
  }
  async prepare(queries: string[]): Promise<void> {
    for (const query of queries) this.vectors.set(query, await this.inner.embedQuery(query));
  }
  embedDocuments(texts: string[]): Promise<number[][]> {
    return this.inner.embedDocuments(texts);
  }
  async embedQuery(text: string): Promise<number[]> {
    return this.vectors.get(text) ?? this.inner.embedQuery(text);
  }
}

const stats = (values: number[]): string => `${percentile(values, 50).toFixed(1)} ms | ${percentile(values, 99).toFixed(1)} ms`;

export async function run(): Promise<BenchSection> {
  const title = 'Retrieval (local worker)';
  const missing = sharedDataMissing();
  if (missing) return { title, markdown: missing };
  const { chroma, store } = await benchChroma();
  try {
    const offline = new OfflineEmbeddingModel();
    // resumable ingestion: a no-op when an earlier run left the collection complete
    const zomato = await ingestCsv({ file: zomatoCsv, store, embedder: offline, collection: 'bench-zomato', progress: 'lines' });

    const sample = QuestionSetSchema.parse(JSON.parse(await readFile(`${repoRoot}/data/sample/questions.json`, 'utf8')));
    const realistic = QuestionSetSchema.parse(JSON.parse(await readFile(realisticQuestions, 'utf8')));
    const zomatoQuestions = [
      'Which place has the best biryani?',
      'Is the service slow on weekends?',
      'Good place for a birthday party with friends?',
      'Was the chicken undercooked or cold?',
      'Do they have live music?',
      'Which restaurant has good desserts?',
      'Is the buffet worth the price?',
      'How is the ambience for a date?',
      'Was anyone unhappy with delivery from Zomato?',
      'Any vegetarian options?',
    ];
    const queries = [...zomatoQuestions, ...sample.questions.map((item) => item.question), ...realistic.questions.map((item) => item.question)];
    const embedder = new PrecomputedQueries(offline);
    await embedder.prepare(queries);
    const indexes = new KeywordIndexCache(store);
    const indexStarted = performance.now();
    const index = await indexes.get('bench-zomato');
    const indexSeconds = (performance.now() - indexStarted) / 1000;
    const retriever = new HybridRetriever({ store, embedder, keywordIndexes: indexes, defaultCollection: 'bench-zomato' });

    for (const query of queries.slice(0, 10)) await retriever.retrieve(query); // warm-up
    const hybrid: number[] = [];
    const vector: number[] = [];
    const keyword: number[] = [];
    let empty = 0;
    for (let round = 0; round < 3; round += 1) {
      for (const query of queries) {
        let started = performance.now();
        const results = await retriever.retrieve(query, { k: 5 });
        hybrid.push(performance.now() - started);
        if (results.length === 0) empty += round === 0 ? 1 : 0;
        const vectorQuery = await embedder.embedQuery(query);
        started = performance.now();
        await store.query('bench-zomato', vectorQuery, { k: 40 });
        vector.push(performance.now() - started);
        started = performance.now();
        index.search(query, { k: 40 });
        keyword.push(performance.now() - started);
      }
    }
    // filtered retrieval: filters applied in process (default), against Chroma's own `where`
    // filtering (the same retriever on a store without the ids-only `nearest`), same run
    const whereOnly: VectorStore = {
      provider: store.provider,
      ensureCollection: (...args) => store.ensureCollection(...args),
      deleteCollection: (...args) => store.deleteCollection(...args),
      listCollections: () => store.listCollections(),
      count: (...args) => store.count(...args),
      revision: (...args) => store.revision(...args),
      maxBatchSize: () => store.maxBatchSize(),
      upsert: (...args) => store.upsert(...args),
      existingIds: (...args) => store.existingIds(...args),
      query: (...args) => store.query(...args),
      scanAll: (...args) => store.scanAll(...args),
      heartbeat: () => store.heartbeat(),
    };
    const viaWhere = new HybridRetriever({ store: whereOnly, embedder, keywordIndexes: indexes, defaultCollection: 'bench-zomato' });
    const restaurant = index.record('zomato_hyderabad_restaurant_reviews.csv:0#c0')?.metadata.restaurant ?? 'Beyond Flavours';
    const filterCases: { label: string; filters: ReviewFilters }[] = [
      { label: 'rating ≥ 4 and date from 2019-01-01', filters: { minRating: 4, from: '2019-01-01' } },
      { label: `restaurant "${restaurant}"`, filters: { restaurant } },
    ];
    const filteredRows: string[] = [];
    for (const { label, filters } of filterCases) {
      const passing = index.idsMatching(filters)?.length ?? index.size;
      for (const query of queries.slice(0, 10)) {
        await retriever.retrieve(query, { k: 5, filters });
        await viaWhere.retrieve(query, { k: 5, filters });
      }
      const inProcess: number[] = [];
      const chromaWhere: number[] = [];
      for (let round = 0; round < 2; round += 1) {
        for (const query of queries) {
          let started = performance.now();
          await retriever.retrieve(query, { k: 5, filters });
          inProcess.push(performance.now() - started);
          started = performance.now();
          await viaWhere.retrieve(query, { k: 5, filters });
          chromaWhere.push(performance.now() - started);
        }
      }
      const ratio = percentile(inProcess, 50) / percentile(chromaWhere, 50);
      filteredRows.push(`| **hybrid, ${label}** (${passing} of ${index.size} records pass) | ${stats(inProcess)} |`);
      filteredRows.push(`| baseline: same, filtered by Chroma \`where\` (p50 ratio ${ratio.toFixed(2)}×) | ${stats(chromaWhere)} |`);
    }
    const bare: number[] = [];
    for (let round = 0; round < 3; round += 1) {
      for (const query of queries) {
        const vectorQuery = await embedder.embedQuery(query);
        const started = performance.now();
        await store.nearest('bench-zomato', vectorQuery, { k: 40 });
        bare.push(performance.now() - started);
      }
    }

    await ingestCsv({ file: realisticCsv, store, embedder: offline, collection: 'bench-realistic', reset: true, progress: 'none' });
    const evaluation = await evaluateRetrieval({ store, embedder: offline, collection: 'bench-realistic', questionSet: realistic, k: 5 });
    await ingestCsv({ file: `${repoRoot}/data/sample/reviews.csv`, store, embedder: offline, collection: 'bench-sample', reset: true, progress: 'none' });
    const sampleEvaluation = await evaluateRetrieval({ store, embedder: offline, collection: 'bench-sample', questionSet: sample, k: 5 });
    // baseline, same run: the previous offline model (word vectors looked up without apostrophes, queries without thesaurus words)
    const previous = new OfflineEmbeddingModel({ semanticVersion: 2 });
    await ingestCsv({ file: realisticCsv, store, embedder: previous, collection: 'bench-realistic-previous', reset: true, progress: 'none' });
    const previousRealistic = await evaluateRetrieval({ store, embedder: previous, collection: 'bench-realistic-previous', questionSet: realistic, k: 5 });
    await ingestCsv({ file: `${repoRoot}/data/sample/reviews.csv`, store, embedder: previous, collection: 'bench-sample-previous', reset: true, progress: 'none' });
    const previousSample = await evaluateRetrieval({ store, embedder: previous, collection: 'bench-sample-previous', questionSet: sample, k: 5 });
    const recallRow = (label: string, result: typeof evaluation) =>
      `| ${label} | ${result.questions} | ${result.recall.vector.toFixed(3)} | ${result.recall.keyword.toFixed(3)} | **${result.recall.hybrid.toFixed(3)}** | ${((result.unrelatedEmpty ?? 0) * 100).toFixed(0)}% |`;

    return {
      title,
      markdown: `Collection: the Zomato CSV, ${zomato.reviews} reviews → ${zomato.collectionCount} records (offline backend \`${offline.modelId}\`, ${offline.dimensions}-d, embedded Chroma, cosine HNSW). ${queries.length} diner questions × 3 rounds; query vectors computed beforehand, so the timings exclude embedding. Keyword index build (scan of all records + BM25 index, once per collection change): ${indexSeconds.toFixed(2)} s for ${index.size} records.

| path | p50 | p99 |
| --- | ---: | ---: |
| **hybrid retrieve (k = 5)** | ${stats(hybrid)} |
${filteredRows.join('\n')}
| part: Chroma kNN, ids and distances only (40 candidates; what hybrid uses) | ${stats(bare)} |
| part: Chroma kNN with documents and metadata (40 candidates) | ${stats(vector)} |
| part: BM25 search in process (40 candidates) | ${stats(keyword)} |

Target: hybrid p50 under 50 ms. The vector side asks Chroma for ids and distances only (texts and metadata come from the keyword index, which holds every record) and applies filters in process: a broad filter fetches 2 × candidates ÷ (share passing) nearest records overall and keeps the passing ones, a narrow one searches among the passing ids. Filtered rows: ${queries.length} questions × 2 rounds each. ${empty} of ${queries.length} questions returned nothing at 10k reviews (the relevance floor; the sample and realistic questions are about other restaurants).

Recall@5 (share of the answering reviews among the top 5, mean over questions; questions written for this project, \`data/sample/*questions.json\`):

| question set | questions | vector only | BM25 only | hybrid | unrelated questions answered with nothing |
| --- | ---: | ---: | ---: | ---: | ---: |
${recallRow(`123 realistic reviews (\`../shared\`), \`${offline.modelId}\``, evaluation)}
${recallRow(`baseline: same, previous model \`${previous.modelId}\``, previousRealistic)}
${recallRow(`project sample (180 reviews), \`${offline.modelId}\``, sampleEvaluation)}
${recallRow(`baseline: same, previous model \`${previous.modelId}\``, previousSample)}

Target: hybrid recall@5 ≥ 0.80 on the realistic reviews with the offline backend.`,
    };
  } finally {
    await chroma.stop();
  }
}
