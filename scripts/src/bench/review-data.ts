import { existsSync } from 'node:fs';
import { mkdir } from 'node:fs/promises';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { ChromaVectorStore, ensureChroma, type EmbeddedChroma } from '@review-assistant/local-worker';

export const repoRoot = resolve(dirname(fileURLToPath(import.meta.url)), '..', '..', '..');
export const sharedReviews = join(repoRoot, '..', 'shared', 'data', 'reviews');
export const zomatoCsv = join(sharedReviews, 'zomato_hyderabad_restaurant_reviews.csv');
export const realisticCsv = join(sharedReviews, 'realistic_restaurant_reviews.csv');
export const realisticQuestions = join(repoRoot, 'data', 'sample', 'realistic-questions.json');

/** Null when the shared review CSVs are absent (the benchmark then reports that it was skipped). */
export function sharedDataMissing(): string | null {
  return existsSync(zomatoCsv) && existsSync(realisticCsv) ? null : `skipped: ${sharedReviews} is absent (the review CSVs are not part of the repository)`;
}

/** Chroma for benchmarks: CHROMA_URL, else an embedded server under `data/bench` (kept between runs). */
export async function benchChroma(): Promise<{ chroma: EmbeddedChroma; store: ChromaVectorStore }> {
  const dataDir = join(repoRoot, 'data', 'bench');
  await mkdir(dataDir, { recursive: true });
  const chroma = await ensureChroma({ dataDir, chromaUrl: process.env['CHROMA_URL'], handleSignals: true });
  return { chroma, store: new ChromaVectorStore({ url: chroma.url }) };
}
