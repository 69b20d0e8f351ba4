/**
 * Ingestion of the 10,000 Zomato reviews: with the offline backend (reviews/s), and with an
 * embedder double of fixed latency per call, to compare the pipeline's time with the least time
 * the embedder alone needs (all calls back to back at the configured concurrency).
 */
import { setTimeout as sleep } from 'node:timers/promises';
import pLimit from 'p-limit';
import { ingestCsv, OfflineEmbeddingModel, type EmbeddingModel, type StoredRecord } from '@review-assistant/local-worker';
import type { BenchSection } from './types.js';
import { benchChroma, sharedDataMissing, zomatoCsv } from './review-data.js';

/**
 * Embedder double modelled on a model server (Ollama serves one request per model at a time and
 * queues the rest): `serverSlots` calls are processed at once, each takes `latencyMs` whatever the
 * batch, further calls wait in the server's queue. A call's completion time follows the server's
 * own schedule (start = max(arrival, slot free), end = start + latency), as on a GPU that keeps
 * working while the client's event loop is busy; the client only sees the answer when its event
 * loop gets to it. Counts calls and texts.
 */
class ModelServerDouble implements EmbeddingModel {
  readonly provider = 'double';
  readonly modelId: string;
  calls = 0;
  texts = 0;
  private readonly slotsFreeAt: number[];
  private readonly pool: number[][];
  constructor(
    private readonly latencyMs: number,
    serverSlots: number,
    dimensions: number,
  ) {
    this.modelId = `model-server-double-${latencyMs}ms-${dimensions}d`;
    this.slotsFreeAt = Array.from({ length: serverSlots }, () => 0);
    const offline = new OfflineEmbeddingModel({ dimensions });
    this.pool = Array.from({ length: 64 }, (_, index) => offline.embed(`pool vector ${index} of the latency double`));
  }
  async embedDocuments(texts: string[]): Promise<number[][]> {
    this.calls += 1;
    this.texts += texts.length;
    const arrival = performance.now();
    const slot = this.slotsFreeAt.indexOf(Math.min(...this.slotsFreeAt));
    const end = Math.max(arrival, this.slotsFreeAt[slot]!) + this.latencyMs;
    this.slotsFreeAt[slot] = end;
    await sleep(Math.max(0, end - performance.now()));
    return texts.map((text) => this.pool[text.length % this.pool.length]!);
  }
  async embedQuery(text: string): Promise<number[]> {
    return (await this.embedDocuments([text]))[0]!;
  }
}

const collection = 'bench-ingest';

export async function run(): Promise<BenchSection> {
  const title = 'Ingestion (local worker)';
  const missing = sharedDataMissing();
  if (missing) return { title, markdown: missing };
  const { chroma, store } = await benchChroma();
  try {
    const offline = new OfflineEmbeddingModel();
    const offlineRun = await ingestCsv({ file: zomatoCsv, store, embedder: offline, collection, reset: true, progress: 'lines' });

    // Chroma alone: the same records, vectors computed beforehand, written in the same batches
    const records: StoredRecord[] = [];
    for await (const page of store.scanAll(collection)) {
      for (const record of page) records.push({ ...record, embedding: offline.embed(record.text) });
    }
    await store.deleteCollection(collection);
    await store.ensureCollection(collection, offline.modelId);
    const writeStarted = performance.now();
    for (let start = 0; start < records.length; start += 256) await store.upsert(collection, records.slice(start, start + 256));
    const chromaOnlySeconds = (performance.now() - writeStarted) / 1000;

    // the double: 200 ms per call of 32 texts (≈ 6 ms a text, mxbai-embed-large on a modest GPU),
    // one call at a time on the server, two in flight from the client so one always waits in the
    // server's queue. Its minimum (≈ 64 s) is two to three times the Chroma-only write time above,
    // so the embedder is clearly the slowest stage.
    const setting = { latencyMs: 200, batch: 32, serverSlots: 1, clientConcurrency: 2, dimensions: 1024 };
    const double = new ModelServerDouble(setting.latencyMs, setting.serverSlots, setting.dimensions);
    const summary = await ingestCsv({
      file: zomatoCsv,
      store,
      embedder: double,
      collection,
      reset: true,
      progress: 'lines',
      embedBatchSize: setting.batch,
      concurrency: setting.clientConcurrency,
    });
    // the minimum from the double's settings: ⌈records ÷ texts per call⌉ calls, server slots at a time
    const expectedCalls = Math.ceil(summary.recordsWritten / setting.batch);
    const minimum = (Math.ceil(expectedCalls / setting.serverSlots) * setting.latencyMs) / 1000;
    // the embedder alone, measured in this run: the same calls from the same client limiter, nothing else
    const alone = new ModelServerDouble(setting.latencyMs, setting.serverSlots, setting.dimensions);
    const limit = pLimit(setting.clientConcurrency);
    const aloneStarted = performance.now();
    await Promise.all(Array.from({ length: expectedCalls }, () => limit(() => alone.embedDocuments(Array.from({ length: setting.batch }, () => 'x')))));
    const measured = (performance.now() - aloneStarted) / 1000;
    await store.deleteCollection(collection);

    const label = `${setting.latencyMs} ms/call, ${setting.batch} texts/call, ${setting.serverSlots} call at a time on the server, ${setting.clientConcurrency} in flight from the client, ${setting.dimensions}-d`;
    const row = `| ${label} | ${double.calls} (${expectedCalls} expected) | ${minimum.toFixed(1)} s | ${measured.toFixed(1)} s | ${chromaOnlySeconds.toFixed(1)} s | ${summary.seconds.toFixed(1)} s | **${(summary.seconds / minimum).toFixed(2)}×** | **${(summary.seconds / measured).toFixed(2)}×** |`;
    return {
      title,
      markdown: `Zomato CSV (\`../shared/data/reviews\`): ${offlineRun.rowsRead} rows, ${offlineRun.skipped['empty review text'] ?? 0} skipped (empty review text), ${offlineRun.reviews} reviews → ${offlineRun.recordsWritten} records (${offlineRun.chunkedReviews} long reviews chunked). Embedded Chroma on this machine, fresh collection each run (\`--reset\`), write batches of 256 records.

| run | reviews | total | reviews/s |
| --- | ---: | ---: | ---: |
| offline backend (\`${offline.modelId}\`, 1024-d), whole \`ingestCsv\` (parse, chunk, embed, write) | ${offlineRun.reviews} | **${offlineRun.seconds.toFixed(1)} s** | **${(offlineRun.reviews / offlineRun.seconds).toFixed(0)}** |
| baseline: Chroma writes alone (same ${records.length} records and vectors, no parsing or embedding) | ${offlineRun.reviews} | ${chromaOnlySeconds.toFixed(1)} s | ${(offlineRun.reviews / chromaOnlySeconds).toFixed(0)} |

Target: under 120 s for the 10,000 reviews offline. Chroma writes dominate here (≈${((chromaOnlySeconds / offlineRun.reviews) * 1000).toFixed(1)} ms per review on this shared 2-core machine); offline embedding itself is a few seconds.

Embedder double with a fixed latency per call, modelled on a model server: Ollama serves one request per model at a time and queues the rest, so the double processes one call at a time and queues further calls; a call ends \`latency\` after the server started it, on the server's own schedule (not delayed by the client's busy event loop, as with a GPU). The latency is chosen so that the embedder is clearly the slowest stage: in this run the embedder-bound minimum is ${(minimum / chromaOnlySeconds).toFixed(1)}× the Chroma-only write time above. Embedder-bound minimum = ⌈⌈records ÷ texts per call⌉ ÷ server slots⌉ × latency, from the double's settings; "embedder alone" runs the same calls through the same client limiter with nothing else, measured in this run.

| double | calls | embedder-bound minimum | embedder alone | Chroma writes alone | pipeline (whole \`ingestCsv\`) | pipeline ÷ minimum | pipeline ÷ embedder alone |
| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: |
${row}

Target ≤ 1.15×. The pipeline embeds consecutive slices of all pending records (so it makes exactly ⌈records ÷ 32⌉ calls), keeps two calls in flight so the server's queue is never empty, lets embedding run up to four write batches ahead, and writes each batch of whole reviews while the next ones are embedded. What remains above the minimum is parsing and preparing the file before the first call, and the last batch's write after the last call. (The earlier version of this benchmark, 20 ms per call of 2 texts with one call in flight and nothing queued at the server, measured 1.16×: there any pause of the client's event loop, such as serialising an upsert, leaves the embedder idle.)`,
    };
  } finally {
    await chroma.stop();
  }
}
