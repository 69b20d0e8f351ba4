import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { AppError, ErrorBodySchema } from '@review-assistant/shared';
import { ingestCsv, OfflineEmbeddingModel, ChromaVectorStore, ensureChroma, type EmbeddedChroma } from '@review-assistant/local-worker';
import { chatOnce } from './support/chat-client.js';
import type { CompiledService } from './support/compiled-service.js';
import { canarySecret, signedFetch, startGatewayProcess, startWorkerProcess, tempDir } from './support/stack.js';

/**
 * The project's embedded Chroma (its real launcher, SIGKILLed as the launcher itself stops it)
 * killed in the middle of an ingestion and under a running worker, then started again on the same
 * data: explicit errors while it is down, exact counts once it is back.
 */

const SECRET = canarySecret('chroma');
const ROWS = 1500;
const RESTAURANTS = ['Casa Lumbre', 'Saffron Lantern', 'Harbour Kitchen', 'Green Fork'];

let dirs: Awaited<ReturnType<typeof tempDir>>;
let chroma: EmbeddedChroma | undefined;
let csv: string;

/** Short synthetic reviews (one record each, no chunking), so the expected count is exactly ROWS. */
function reviewsCsv(rows: number): string {
  const lines = ['restaurant,reviewer,date,rating,review'];
  for (let row = 0; row < rows; row += 1) {
    lines.push(`${RESTAURANTS[row % RESTAURANTS.length]},Guest ${row},2024-0${(row % 9) + 1}-1${row % 10},${(row % 5) + 1},"Visit ${row}: the ${row % 2 ? 'tacos' : 'curry'} was ${row % 3 ? 'great' : 'cold'} and service ${row % 4 ? 'quick' : 'slow'}."`);
  }
  return `${lines.join('\n')}\n`;
}

async function startChromaOn(port?: number): Promise<EmbeddedChroma> {
  return ensureChroma({ dataDir: join(dirs.path, 'chroma-data'), handleSignals: false, ...(port ? { port } : {}) });
}

beforeAll(async () => {
  dirs = await tempDir('chroma');
  csv = join(dirs.path, 'many-reviews.csv');
  await writeFile(csv, reviewsCsv(ROWS), 'utf8');
  chroma = await startChromaOn();
});

afterAll(async () => {
  await chroma?.stop();
  await dirs?.cleanup();
});

function ingest(url: string, progress?: (done: number) => void) {
  return ingestCsv({
    file: csv,
    store: new ChromaVectorStore({ url }),
    embedder: new OfflineEmbeddingModel(),
    writeBatchSize: 50,
    progress: { start: () => undefined, increment: (by) => progress?.(by), stop: () => undefined },
  });
}

describe('Chroma killed during ingestion', () => {
  it('fails the run with an explicit store error, then a repeated run completes with exactly every row once', async () => {
    const port = chroma!.port;
    let written = 0;
    let killed: Promise<void> | undefined;
    const failure = await ingest(chroma!.url, (by) => {
      written += by;
      if (written >= 300 && !killed) killed = chroma!.stop();
    }).then(
      () => undefined,
      (error: unknown) => error,
    );
    await killed;
    expect(failure).toBeInstanceOf(AppError);
    expect((failure as AppError).code).toBe('vector_store_unavailable');
    expect(written).toBeLessThan(ROWS);

    const restartedAt = Date.now();
    chroma = await startChromaOn(port);
    const restartMs = Date.now() - restartedAt;
    const resumed = await ingest(chroma.url);
    expect(resumed.rowsRead).toBe(ROWS);
    expect(resumed.alreadyPresent).toBeGreaterThanOrEqual(300);
    expect(resumed.alreadyPresent + resumed.reviewsWritten).toBe(ROWS);
    expect(resumed.collectionCount).toBe(ROWS);
    console.info(`[faults] Chroma killed after ${written} of ${ROWS} reviews were written: restarted in ${restartMs} ms; the repeated run found ${resumed.alreadyPresent} present, wrote ${resumed.reviewsWritten}, ${resumed.collectionCount} records in all`);
  });
});

describe('Chroma killed under a running worker', () => {
  let worker: CompiledService;
  let gateway: CompiledService;

  afterAll(async () => {
    await gateway?.stop();
    await worker?.stop();
  });

  it('answers explicit errors while Chroma is down and exact results once it is back', async () => {
    expect((await ingest(chroma!.url)).collectionCount).toBe(ROWS); // a no-op after the test above
    worker = await startWorkerProcess({ secret: SECRET, chromaUrl: chroma!.url, dataDir: join(dirs.path, 'worker') });
    gateway = await startGatewayProcess({ secret: SECRET, dataDir: join(dirs.path, 'gateway'), workerUrls: [worker.url], env: { WORKER_BREAKER_HALF_OPEN_MS: '200' } });
    const retrieve = () => signedFetch(SECRET, worker.url, 'POST', '/v1/retrieve', JSON.stringify({ query: 'cold curry', k: 7 }));
    const before = await retrieve();
    expect(before.status).toBe(200);
    expect(((await before.json()) as { results: unknown[] }).results).toHaveLength(7);

    const port = chroma!.port;
    await chroma!.stop();
    const down = await retrieve();
    expect(down.status).toBe(503);
    expect(ErrorBodySchema.parse(await down.json()).error.code).toBe('vector_store_unavailable');
    const failedAt = Date.now();
    const chat = await chatOnce(gateway.url, 'Which place has cold curry?');
    const last = chat.events.at(-1);
    expect(last?.type).toBe('error');
    expect(last?.type === 'error' && last.retryable).toBe(true);
    const errorMs = last!.receivedAt - failedAt;
    // the browser learns that the store is down, not where it lives
    expect(JSON.stringify(chat.events)).not.toContain(`:${port}`);
    const health = await signedFetch(SECRET, worker.url, 'GET', '/v1/health');
    expect(((await health.json()) as { chroma: { ok: boolean } }).chroma.ok).toBe(false);

    chroma = await startChromaOn(port);
    const backAt = Date.now();
    let after = await retrieve();
    while (after.status !== 200 && Date.now() - backAt < 10_000) after = await retrieve();
    const recoveredMs = Date.now() - backAt;
    expect(after.status).toBe(200);
    expect(((await after.json()) as { results: unknown[] }).results).toHaveLength(7);
    const healthAfter = (await (await signedFetch(SECRET, worker.url, 'GET', '/v1/health')).json()) as { chroma: { ok: boolean }; collections: Record<string, number> };
    expect(healthAfter.chroma.ok).toBe(true);
    expect(healthAfter.collections['reviews']).toBe(ROWS);
    let answer = await chatOnce(gateway.url, 'Which place has cold curry?');
    for (let attempt = 0; attempt < 20 && answer.events.at(-1)?.type !== 'answer-end'; attempt += 1) {
      await new Promise((resolve) => setTimeout(resolve, 100));
      answer = await chatOnce(gateway.url, 'Which place has cold curry?');
    }
    expect(answer.events.at(-1)?.type).toBe('answer-end');
    console.info(`[faults] Chroma killed under the worker: chat error event after ${errorMs} ms; retrieval answered again ${recoveredMs} ms after Chroma was back`);
  });
});
