import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Ollama } from 'ollama';
import OpenAI from 'openai';
import { pino } from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestGateway, type TestGateway } from '@review-assistant/cloud-gateway/testing';
import { startWorker, type RunningWorker } from '@review-assistant/local-worker';
import { OllamaDouble } from '@review-assistant/local-worker/testing';
import { ingestE2eReviews } from './support/review-corpus.js';

/**
 * The OpenAI- and Ollama-compatible APIs end to end, with the real client SDKs (`openai`,
 * `ollama`) against the real gateway and a real worker (real embedded Chroma): one worker on the
 * offline backend, one on the Ollama backend talking to the Ollama double, which shows that a
 * cancelled client request reaches the model.
 */

const SECRET = 'e2e-compat-secret-0123456789abcdef';
const KEY = 'e2e-compat-api-key-0123456789';

interface Stack {
  dataDir: string;
  worker: RunningWorker;
  gateway: TestGateway;
  openai: OpenAI;
  ollama: Ollama;
}

async function startStack(name: string, backend: { modelBackend: 'offline' } | { modelBackend: 'ollama'; ollamaHost: string }): Promise<Stack> {
  const dataDir = await mkdtemp(join(tmpdir(), `e2e-compat-${name}-`));
  const worker = await startWorker({
    env: { INSPECTOR_ENABLED: 'false', OLLAMA_PULL_MISSING: 'false' },
    overrides: { dataDir, workerPort: 0, workerSharedSecret: SECRET, ...backend },
    logger: pino({ level: 'silent' }),
    networking: false,
  });
  await ingestE2eReviews(dataDir, worker.chroma.url, worker.backends.embeddingModel);
  const gateway = createTestGateway({
    settings: { workerSharedSecret: SECRET, apiKeys: [KEY] },
    pool: { staticUrls: [worker.url], connectTimeoutMs: 2000, firstByteTimeoutMs: 20_000, idleTimeoutMs: 20_000, requestBudgetMs: 60_000 },
  });
  await gateway.listen();
  return {
    dataDir,
    worker,
    gateway,
    openai: new OpenAI({ baseURL: `${gateway.url}/v1`, apiKey: KEY, maxRetries: 0 }),
    ollama: new Ollama({ host: `${gateway.url}/ollama`, headers: { Authorization: `Bearer ${KEY}` } }),
  };
}

async function stopStack(stack: Stack | undefined): Promise<void> {
  if (!stack) return;
  await stack.gateway.close();
  await stack.worker.stop();
  await rm(stack.dataDir, { recursive: true, force: true });
}

/** The interaction record of the turn that started when the log held `mark` records (polls: it is appended after the response). */
async function recordAfter(gateway: TestGateway, mark: number) {
  const deadline = Date.now() + 5000;
  while (gateway.deps.logStore.records.length <= mark && Date.now() < deadline) await new Promise((resolve) => setTimeout(resolve, 10));
  return gateway.deps.logStore.records[mark];
}
const mark = (stack: Stack) => stack.gateway.deps.logStore.records.length;

type SourceExtension = { number: number; id: string; text: string; metadata: { restaurant?: string; source: string; row: number } };
const biryani = [{ role: 'user' as const, content: 'Is the biryani at Saffron House spicy?' }];

describe('OpenAI- and Ollama-compatible APIs, real worker on the offline backend', () => {
  let stack: Stack;
  beforeAll(async () => {
    stack = await startStack('offline', { modelBackend: 'offline' });
  }, 240_000);
  afterAll(() => stopStack(stack));

  it('streams a grounded answer with its sources to openai.chat.completions.create({ stream: true }), and needs a key', async () => {
    const logMark = mark(stack);
    const stream = await stack.openai.chat.completions.create({ model: 'review-assistant', messages: biryani, stream: true, stream_options: { include_usage: true } });
    const chunks = [];
    for await (const chunk of stream) chunks.push(chunk);
    const text = chunks.map((chunk) => chunk.choices[0]?.delta.content ?? '').join('');
    const finish = chunks.find((chunk) => chunk.choices[0]?.finish_reason);
    const sources = (finish as unknown as { sources: SourceExtension[] }).sources;
    expect(finish?.choices[0]?.finish_reason).toBe('stop');
    expect(sources.length).toBeGreaterThan(0);
    expect(sources[0]?.text.toLowerCase()).toContain('biryani');
    expect(sources[0]?.metadata).toMatchObject({ restaurant: 'Saffron House', source: 'e2e-reviews.csv' });
    // The worker cites review ids; the gateway numbers them and lists them at the end.
    expect(text).toMatch(/"[^"]*biryani[^"]*" \[1\]/i);
    expect(text).not.toMatch(/\[e2e-reviews/);
    expect(text).toMatch(/\n\nSources:\n\[1\] Saffron House, [35]\/5, 2024-03-0\d: ".*" \(e2e-reviews\.csv, row \d\)/);
    expect(chunks.at(-1)?.usage?.completion_tokens).toBeGreaterThan(0);
    expect(await recordAfter(stack.gateway, logMark)).toMatchObject({ channel: 'openai', route: 'worker', status: 'ok', backend: 'offline' });

    const keyless = new OpenAI({ baseURL: `${stack.gateway.url}/v1`, apiKey: 'wrong-key', maxRetries: 0 });
    await expect(keyless.chat.completions.create({ model: 'review-assistant', messages: biryani, stream: true })).rejects.toBeInstanceOf(OpenAI.AuthenticationError);
  });

  it('answers a follow-up without streaming, using the conversation history', async () => {
    const completion = await stack.openai.chat.completions.create({
      model: 'review-assistant',
      messages: [
        { role: 'user', content: 'How is the coffee at Green Leaf Cafe?' },
        { role: 'assistant', content: 'Reviewers call it excellent but pricey [1].' },
        { role: 'user', content: 'And how long did people wait there?' },
      ],
    });
    const content = completion.choices[0]?.message.content ?? '';
    expect(completion.choices[0]?.finish_reason).toBe('stop');
    // The offline worker rewrites the follow-up with the history, so it finds the Green Leaf review about waiting.
    expect(content).toContain('forty minutes');
    expect((completion as unknown as { sources: SourceExtension[] }).sources.some((source) => source.metadata.restaurant === 'Green Leaf Cafe')).toBe(true);
  });

  it('passes max_tokens to the worker and reports finish_reason "length" when the answer used them all', async () => {
    const completion = await stack.openai.chat.completions.create({ model: 'review-assistant', messages: biryani, max_tokens: 6 });
    expect(completion.choices[0]?.finish_reason).toBe('length');
    expect(completion.usage?.completion_tokens).toBe(6);
  });

  it('streams the same grounded answer to the ollama client, and refuses it without a key', async () => {
    const logMark = mark(stack);
    const parts = [];
    for await (const part of await stack.ollama.chat({ model: 'review-assistant', messages: biryani, stream: true })) parts.push(part);
    const text = parts.map((part) => part.message.content).join('');
    const last = parts.at(-1)! as (typeof parts)[number] & { sources: SourceExtension[] };
    expect(last.done).toBe(true);
    expect(last.done_reason).toBe('stop');
    expect(last.eval_count).toBeGreaterThan(0);
    expect(last.total_duration).toBeGreaterThan(0);
    expect(last.sources[0]?.text.toLowerCase()).toContain('biryani');
    expect(text).toMatch(/\[1\]/);
    expect(text).toContain('\n\nSources:\n[1] Saffron House');
    expect(await recordAfter(stack.gateway, logMark)).toMatchObject({ channel: 'ollama', route: 'worker', status: 'ok' });

    const single = await stack.ollama.chat({ model: 'review-assistant:latest', messages: biryani, stream: false });
    expect(single.message.content).toBe(text);

    const keyless = new Ollama({ host: `${stack.gateway.url}/ollama` });
    await expect(keyless.chat({ model: 'review-assistant', messages: biryani })).rejects.toMatchObject({ name: 'ResponseError', status_code: 401 });
  });

  it('embeds with the worker\'s model through both APIs, the same vectors either way', async () => {
    const input = ['spicy biryani', 'cold coffee'];
    const openai = await stack.openai.embeddings.create({ model: 'review-assistant-embed', input, encoding_format: 'float' });
    const ollama = await stack.ollama.embed({ model: 'review-assistant-embed', input });
    const direct = await stack.worker.backends.embeddingModel.embedDocuments(input);
    expect(openai.data.map((item) => item.embedding)).toEqual(direct);
    expect(ollama.embeddings).toEqual(direct);
  });
});

describe('OpenAI- and Ollama-compatible APIs, real worker on the Ollama backend (Ollama double)', () => {
  let stack: Stack;
  let ollama: OllamaDouble;
  let reply: string[] | null = null;
  beforeAll(async () => {
    ollama = await OllamaDouble.start({
      tokenDelayMs: 20,
      reply: (messages) => {
        if (reply) return reply;
        const id = /<review id="([^"]+)"/.exec(messages.map((message) => message.content).join('\n'))?.[1];
        return `The biryani is called properly spicy [${id}].`.split(/(?<= )/);
      },
    });
    stack = await startStack('ollama', { modelBackend: 'ollama', ollamaHost: ollama.url });
  }, 240_000);
  afterAll(async () => {
    await stopStack(stack);
    await ollama?.close();
  });

  it('streams the model\'s answer with numbered citations and passes temperature and max_tokens to Ollama', async () => {
    const logMark = mark(stack);
    const stream = await stack.openai.chat.completions.create({ model: 'review-assistant', messages: biryani, stream: true, temperature: 0.3, max_tokens: 200 });
    let text = '';
    for await (const chunk of stream) text += chunk.choices[0]?.delta.content ?? '';
    expect(text).toMatch(/^The biryani is called properly spicy \[1\]\.\n\nSources:\n\[1\] Saffron House/);
    const call = ollama.callsTo('/api/chat').at(-1)!.body as { options?: { temperature?: number; num_predict?: number } };
    expect(call.options).toMatchObject({ temperature: 0.3, num_predict: 200 });
    expect(await recordAfter(stack.gateway, logMark)).toMatchObject({ channel: 'openai', backend: 'ollama', status: 'ok' });
  });

  it('cancels the Ollama generation when the openai client aborts', async () => {
    const logMark = mark(stack);
    reply = Array.from({ length: 400 }, (_, index) => `token${index} `);
    try {
      const controller = new AbortController();
      const stream = await stack.openai.chat.completions.create({ model: 'review-assistant', messages: biryani, stream: true }, { signal: controller.signal });
      const disconnected = ollama.waitForDisconnect('/api/chat');
      let deltas = 0;
      try {
        for await (const chunk of stream) {
          if (chunk.choices[0]?.delta.content) deltas += 1;
          if (deltas === 5) controller.abort();
        }
      } catch (error) {
        expect(error).toBeInstanceOf(OpenAI.APIUserAbortError);
      }
      expect(deltas).toBe(5);
      await disconnected;
      expect(await recordAfter(stack.gateway, logMark)).toMatchObject({ channel: 'openai', status: 'cancelled' });
    } finally {
      reply = null;
    }
  });

  it('cancels the Ollama generation when the ollama client aborts', async () => {
    const logMark = mark(stack);
    reply = Array.from({ length: 400 }, (_, index) => `token${index} `);
    try {
      const before = ollama.disconnects.length;
      const stream = await stack.ollama.chat({ model: 'review-assistant', messages: biryani, stream: true });
      let parts = 0;
      try {
        for await (const part of stream) {
          if (part.message.content) parts += 1;
          if (parts === 5) stream.abort();
        }
      } catch (error) {
        expect((error as Error).name).toBe('AbortError');
      }
      const deadline = Date.now() + 10_000;
      while (ollama.disconnects.length === before && Date.now() < deadline) await new Promise((resolve) => setTimeout(resolve, 20));
      expect(ollama.disconnects.slice(before).map((entry) => entry.path)).toContain('/api/chat');
      expect(await recordAfter(stack.gateway, logMark)).toMatchObject({ channel: 'ollama', status: 'cancelled' });
    } finally {
      reply = null;
    }
  });
});
