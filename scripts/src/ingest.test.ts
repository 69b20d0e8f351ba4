import { spawn } from 'node:child_process';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parseCsv, reviewIdOf, ChromaVectorStore, ensureChroma, type EmbeddedChroma } from '@review-assistant/local-worker';

const repoRoot = resolve(dirname(fileURLToPath(import.meta.url)), '..', '..');
const ingestScript = join(repoRoot, 'scripts', 'src', 'ingest.ts');

let dataDir: string;
let chroma: EmbeddedChroma;
let store: ChromaVectorStore;
let csvPath: string;
let expectedReviews: number;

beforeAll(async () => {
  dataDir = await mkdtemp(join(tmpdir(), 'ingest-cli-'));
  chroma = await ensureChroma({ dataDir, handleSignals: false });
  store = new ChromaVectorStore({ url: chroma.url });
  // 5,400 reviews: the sample repeated, so ingestion runs long enough to be killed in the middle;
  // every fourth review is made long enough to be stored as several chunks (records)
  const sample = parseCsv(await readFile(join(repoRoot, 'data', 'sample', 'reviews.csv'), 'utf8'));
  const lines = ['restaurant,rating,review'];
  for (let copy = 0; copy < 20; copy += 1) {
    sample.rows.forEach((row, index) => {
      const text = index % 4 === 0 ? Array.from({ length: 8 }, (_, part) => `${row['review']} [part ${part}]`).join(' ') : row['review'];
      lines.push([row['restaurant'], row['rating'], `"${`${text} (copy ${copy})`.replaceAll('"', '""')}"`].join(','));
    });
  }
  expectedReviews = lines.length - 1;
  csvPath = join(dataDir, 'big.csv');
  await writeFile(csvPath, `${lines.join('\n')}\n`);
});

afterAll(async () => {
  await chroma?.stop();
  await rm(dataDir, { recursive: true, force: true });
});

function runIngest(args: string[]): { child: ReturnType<typeof spawn>; done: Promise<{ code: number | null; signal: NodeJS.Signals | null; stdout: string; stderr: string }> } {
  const child = spawn(process.execPath, ['--import', 'tsx', '--conditions=development', ingestScript, ...args], {
    cwd: repoRoot,
    env: { ...process.env, CHROMA_URL: chroma.url, MODEL_BACKEND: 'offline', DATA_DIR: dataDir },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let stdout = '';
  let stderr = '';
  child.stdout.on('data', (chunk: Buffer) => (stdout += chunk.toString()));
  child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
  const done = new Promise<{ code: number | null; signal: NodeJS.Signals | null; stdout: string; stderr: string }>((resolveDone) => {
    child.on('exit', (code, signal) => resolveDone({ code, signal, stdout, stderr }));
  });
  return { child, done };
}

async function idsOf(collection: string): Promise<string[]> {
  const ids: string[] = [];
  for await (const page of store.scanAll(collection)) ids.push(...page.map((record) => record.id));
  return ids;
}

describe('npm run ingest (CLI as a child process)', () => {
  it('survives kill -9 mid-run: a second run leaves exactly the records of a clean run, no duplicates', async () => {
    const first = runIngest([csvPath, '--collection', 'crash', '--batch-size', '40']);
    // poll until some batches are in, then SIGKILL
    const deadline = Date.now() + 90_000;
    let partial = 0;
    while (Date.now() < deadline && partial < 400) {
      partial = await store.count('crash');
      if (partial < 400) await sleep(50);
    }
    expect(partial, 'the first run wrote 400 records before the deadline').toBeGreaterThanOrEqual(400);
    first.child.kill('SIGKILL');
    const killed = await first.done;
    expect(killed.signal).toBe('SIGKILL');
    const reviewsAfterKill = new Set((await idsOf('crash')).map(reviewIdOf)).size;
    expect(reviewsAfterKill).toBeGreaterThan(0);
    expect(reviewsAfterKill).toBeLessThan(expectedReviews);

    const second = await runIngest([csvPath, '--collection', 'crash', '--json']).done;
    expect(second.code).toBe(0);
    const summary = JSON.parse(second.stdout) as { reviews: number; alreadyPresent: number; reviewsWritten: number; collectionCount: number };
    expect(summary.reviews).toBe(expectedReviews);
    // The upsert in flight at the kill may still land inside Chroma after we looked (at most one
    // write batch, 40 records, so at most 40 reviews): bounds instead of waiting for quiet.
    expect(summary.alreadyPresent).toBeGreaterThanOrEqual(reviewsAfterKill);
    expect(summary.alreadyPresent).toBeLessThanOrEqual(reviewsAfterKill + 40);
    expect(summary.alreadyPresent + summary.reviewsWritten).toBe(expectedReviews);

    // the same file ingested once, without a crash: the resumed collection must hold exactly its records
    const clean = await runIngest([csvPath, '--collection', 'clean', '--json']).done;
    expect(clean.code).toBe(0);
    const cleanSummary = JSON.parse(clean.stdout) as { recordsWritten: number; chunkedReviews: number; collectionCount: number };
    expect(cleanSummary.chunkedReviews).toBeGreaterThan(0);
    const resumedIds = await idsOf('crash');
    const cleanIds = await idsOf('clean');
    expect(new Set(resumedIds).size).toBe(resumedIds.length);
    expect(resumedIds.length).toBe(cleanSummary.recordsWritten);
    expect([...resumedIds].sort()).toEqual([...cleanIds].sort());
    expect(await store.count('crash')).toBe(summary.collectionCount);
    expect(summary.collectionCount).toBe(cleanSummary.collectionCount);
  }, 240_000);

  it('exits non-zero with a clear message on a broken CSV and writes nothing', async () => {
    const broken = join(dataDir, 'broken.csv');
    await writeFile(broken, 'Review,Rating\n"never closed,5\n');
    const result = await runIngest([broken, '--collection', 'broken-cli']).done;
    expect(result.code).toBe(1);
    expect(result.stderr).toMatch(/ingest failed: broken\.csv is not valid CSV/);
    expect(await store.count('broken-cli')).toBe(0);
  }, 60_000);
});
