/**
 * Chat turns through the real worker over HTTP (signed requests, embedded Chroma, the 123
 * realistic reviews): (1) offline backend: time to first answer delta and total per turn, next to
 * `/v1/retrieve` on the same questions as the baseline; (2) Ollama backend against the Ollama
 * double streaming at a fixed pace: worker turn time over the model's own stream time measured
 * directly in the same run; (3) a burst beyond slots + queue: how many are refused at once.
 */
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pino } from 'pino';
import { readNdjson, signRequest } from '@review-assistant/shared';
import { ingestCsv, OllamaChatModel, startWorker, type RunningWorker, ChromaVectorStore } from '@review-assistant/local-worker';
import { OllamaDouble } from '@review-assistant/local-worker/testing';
import { percentile, type BenchSection } from './types.js';
import { realisticCsv, realisticQuestions, sharedDataMissing } from './review-data.js';

const SECRET = 'bench-secret-0123456789abcdef';

interface Turn {
  firstDeltaMs: number;
  totalMs: number;
  status: number;
}

function signedInit(method: string, path: string, body: unknown): RequestInit {
  const text = JSON.stringify(body);
  return { method, body: text, headers: { 'content-type': 'application/json', ...signRequest({ secret: SECRET, method, path, body: text }) } };
}

async function chatTurn(worker: RunningWorker, message: string): Promise<Turn> {
  const started = performance.now();
  const response = await fetch(`${worker.url}/v1/chat`, signedInit('POST', '/v1/chat', { message }));
  let firstDeltaMs = Number.NaN;
  if (response.status !== 200 || !response.body) {
    await response.body?.cancel();
    return { firstDeltaMs, totalMs: performance.now() - started, status: response.status };
  }
  for await (const event of readNdjson(response.body)) {
    if (Number.isNaN(firstDeltaMs) && (event as { type?: string }).type === 'answer-delta') firstDeltaMs = performance.now() - started;
  }
  return { firstDeltaMs, totalMs: performance.now() - started, status: 200 };
}

async function retrieveTurn(worker: RunningWorker, query: string): Promise<number> {
  const started = performance.now();
  const response = await fetch(`${worker.url}/v1/retrieve`, signedInit('POST', '/v1/retrieve', { query, k: 5 }));
  await response.json();
  return performance.now() - started;
}

async function withWorker<T>(overrides: Record<string, unknown>, body: (worker: RunningWorker) => Promise<T>): Promise<T> {
  const dataDir = await mkdtemp(join(tmpdir(), 'bench-worker-'));
  const worker = await startWorker({
    env: {},
    overrides: { dataDir, workerPort: 0, workerSharedSecret: SECRET, ...overrides },
    logger: pino({ level: 'silent' }),
    networking: false,
    awaitWarmUp: true,
  });
  try {
    await ingestCsv({ file: realisticCsv, store: new ChromaVectorStore({ url: worker.chroma.url }), embedder: worker.backends.embeddingModel, progress: 'none' });
    return await body(worker);
  } finally {
    await worker.stop();
    await rm(dataDir, { recursive: true, force: true });
  }
}

const ms = (value: number) => `${value.toFixed(1)} ms`;

export async function run(): Promise<BenchSection> {
  const title = 'Chat turns through the worker';
  const missing = sharedDataMissing();
  if (missing) return { title, markdown: missing };
  const questionSet = JSON.parse(await readFile(realisticQuestions, 'utf8')) as { questions: { question: string }[] };
  const questions = questionSet.questions.map((item) => item.question);

  // (1) offline backend
  const offline = await withWorker({ modelBackend: 'offline' }, async (worker) => {
    for (const question of questions.slice(0, 3)) await chatTurn(worker, question); // warm caches
    const retrieve: number[] = [];
    const turns: Turn[] = [];
    for (let round = 0; round < 3; round += 1) {
      for (const question of questions) {
        retrieve.push(await retrieveTurn(worker, question));
        turns.push(await chatTurn(worker, question));
      }
    }
    return { retrieve, turns };
  });

  // (2) Ollama backend against the double: 40 tokens, 5 ms apart
  const tokens = Array.from({ length: 40 }, (_, index) => `word${index} `);
  const ollama = await OllamaDouble.start({ reply: () => tokens, tokenDelayMs: 5, embeddingDimensions: 64 });
  let ollamaResult: { turns: Turn[]; direct: number[]; burst: number[] };
  try {
    const model = new OllamaChatModel({ baseURL: ollama.url });
    ollamaResult = await withWorker({ modelBackend: 'auto', ollamaHost: ollama.url, workerConcurrency: 2, workerMaxQueue: 8 }, async (worker) => {
      const direct: number[] = [];
      const turns: Turn[] = [];
      for (const question of questions.slice(0, 20)) {
        const started = performance.now();
        for await (const _chunk of model.stream([{ role: 'user', content: question }])) {
          // consume the whole stream, as the worker does
        }
        direct.push(performance.now() - started);
        turns.push(await chatTurn(worker, question));
      }
      // (3) a burst of 14 at once: 2 run, 8 wait, the rest are refused at once
      const burst = await Promise.all(questions.slice(0, 14).map((question) => chatTurn(worker, question)));
      return { turns, direct, burst: burst.map((turn) => turn.status) };
    });
  } finally {
    await ollama.close();
  }

  const offlineFirst = offline.turns.map((turn) => turn.firstDeltaMs);
  const offlineTotal = offline.turns.map((turn) => turn.totalMs);
  const answered = ollamaResult.turns.filter((turn) => turn.status === 200);
  const ollamaTotal = answered.map((turn) => turn.totalMs);
  const directP50 = percentile(ollamaResult.direct, 50);
  const refused = ollamaResult.burst.filter((status) => status === 503).length;
  const ok = ollamaResult.burst.filter((status) => status === 200).length;

  const markdown = [
    `Worker started in-process (\`startWorker\`), embedded Chroma in a temporary DATA_DIR, the ${questions.length} realistic diner questions against the 123 reviews of \`realistic_restaurant_reviews.csv\`, signed HTTP requests on 127.0.0.1.`,
    '',
    '| measurement | p50 | p99 | vs baseline (p50) |',
    '| --- | --- | --- | --- |',
    `| offline: \`POST /v1/retrieve\` (baseline, ${offline.retrieve.length} requests) | ${ms(percentile(offline.retrieve, 50))} | ${ms(percentile(offline.retrieve, 99))} | 1.00× |`,
    `| offline: \`POST /v1/chat\` first answer delta | ${ms(percentile(offlineFirst, 50))} | ${ms(percentile(offlineFirst, 99))} | ${(percentile(offlineFirst, 50) / percentile(offline.retrieve, 50)).toFixed(2)}× |`,
    `| offline: \`POST /v1/chat\` whole turn | ${ms(percentile(offlineTotal, 50))} | ${ms(percentile(offlineTotal, 99))} | ${(percentile(offlineTotal, 50) / percentile(offline.retrieve, 50)).toFixed(2)}× |`,
    `| Ollama double: model stream alone (baseline, 40 tokens 5 ms apart) | ${ms(directP50)} | ${ms(percentile(ollamaResult.direct, 99))} | 1.00× |`,
    `| Ollama double: \`POST /v1/chat\` whole turn (${answered.length} turns) | ${ms(percentile(ollamaTotal, 50))} | ${ms(percentile(ollamaTotal, 99))} | ${(percentile(ollamaTotal, 50) / directP50).toFixed(2)}× |`,
    '',
    `Burst of ${ollamaResult.burst.length} simultaneous chat turns with CHAT_CONCURRENCY=2 and CHAT_QUEUE=8: ${ok} answered, ${refused} refused at once with 503 \`worker_busy\` (expected ${Math.max(0, ollamaResult.burst.length - 10)}).`,
    '',
    'The offline ratio is the cost of composing the extractive answer on top of retrieval (query rewrite, prompt, sentence scoring). The Ollama ratio is what the worker adds to the model stream (signature check, query embedding, hybrid retrieval, prompt, NDJSON relay); with a real llama3.2 the model time dominates far more.',
  ].join('\n');
  return { title, markdown };
}
