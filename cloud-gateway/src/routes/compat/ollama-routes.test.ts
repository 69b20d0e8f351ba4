import { Ollama } from 'ollama';
import { afterEach, describe, expect, it } from 'vitest';
import type { GatewaySettings } from '../../deps.js';
import { createTestGateway } from '../../testing/gateway-harness.js';
import { startWorkerDouble, type WorkerDoubleOptions } from '../../testing/worker-double.js';

const KEY = 'compat-test-key-0123456789';
const cleanups: (() => Promise<unknown>)[] = [];
afterEach(async () => {
  while (cleanups.length > 0) await cleanups.pop()?.().catch(() => undefined);
});

async function setup(options: { worker?: WorkerDoubleOptions; settings?: Partial<GatewaySettings>; key?: string } = {}) {
  const worker = await startWorkerDouble(options.worker ?? {});
  cleanups.push(() => worker.close());
  const gateway = createTestGateway({ settings: { apiKeys: [KEY], ...options.settings }, pool: { staticUrls: [worker.url] } });
  await gateway.listen();
  cleanups.push(() => gateway.close());
  const client = new Ollama({ host: `${gateway.url}/ollama`, headers: { Authorization: `Bearer ${options.key ?? KEY}` } });
  return { worker, gateway, client };
}

const question = [{ role: 'user', content: 'Which place has fresh pasta?' }];

describe('Ollama-compatible API through the ollama client', () => {
  it('lists the models and the version', async () => {
    const { client } = await setup();
    const { models } = await client.list();
    expect(models.map((model) => model.name)).toEqual(['review-assistant:latest', 'review-assistant-embed:latest']);
    expect((await client.version()).version).toMatch(/^\d+\.\d+\.\d+/);
  });

  it('streams a grounded answer as NDJSON and ends with done, durations and sources', async () => {
    const { client, gateway } = await setup({ worker: { answer: 'Fresh pasta at Casa Olivo [r1].' } });
    const parts = [];
    for await (const part of await client.chat({ model: 'review-assistant', messages: question, stream: true })) parts.push(part);
    const text = parts.map((part) => part.message.content).join('');
    expect(text).toMatch(/^Fresh pasta at Casa Olivo \[1\]\.\n\nSources:\n\[1\] Casa Olivo, 5\/5/);
    expect(parts.slice(0, -1).every((part) => part.done === false)).toBe(true);
    const last = parts.at(-1)!;
    expect(last).toMatchObject({ done: true, done_reason: 'stop', eval_count: 6, prompt_eval_count: 42, model: 'review-assistant' });
    expect(last.total_duration).toBeGreaterThan(0);
    expect((last as unknown as { sources: { number: number; id: string }[] }).sources.map((source) => source.id)).toEqual(['r1', 'r2']);
    const deadline = Date.now() + 5000;
    while (gateway.deps.logStore.records.length === 0 && Date.now() < deadline) await new Promise((resolve) => setTimeout(resolve, 10));
    expect(gateway.deps.logStore.records.at(-1)).toMatchObject({ channel: 'ollama', status: 'ok', route: 'worker' });
    expect(await gateway.deps.metrics.registry.metrics()).toMatch(/gateway_chat_turns_total\{channel="ollama",route="worker",status="ok"\} 1/);
  });

  it('answers in one object with stream false, passing history and options to the worker', async () => {
    const { client, worker } = await setup();
    const response = await client.chat({
      model: 'review-assistant:latest',
      stream: false,
      options: { temperature: 0.1, num_predict: 64 },
      messages: [
        { role: 'user', content: 'Tell me about Casa Olivo' },
        { role: 'assistant', content: 'Pasta [1].' },
        { role: 'user', content: 'And the staff?' },
      ],
    });
    expect(response.done).toBe(true);
    expect(response.message.content).toContain('[1]');
    const call = await worker.waitFor((entry) => entry.path === '/v1/chat');
    expect(call.body).toEqual({
      message: 'And the staff?',
      history: [
        { role: 'user', content: 'Tell me about Casa Olivo' },
        { role: 'assistant', content: 'Pasta [1].' },
      ],
      generation: { maxTokens: 64, temperature: 0.1 },
    });
  });

  it('cancels the worker request when the client aborts', async () => {
    const { client, worker } = await setup({ worker: { answer: Array.from({ length: 60 }, (_, index) => `word${index}`).join(' '), tokenDelayMs: 25 } });
    const stream = await client.chat({ model: 'review-assistant', messages: question, stream: true });
    let seen = 0;
    try {
      for await (const part of stream) {
        if (part.message.content) seen += 1;
        if (seen === 3) stream.abort();
      }
    } catch (error) {
      expect((error as Error).name).toBe('AbortError');
    }
    const call = await worker.waitFor((entry) => entry.path === '/v1/chat' && entry.aborted);
    expect(call.eventsSent).toBeLessThan(30);
  });

  it('embeds through the worker', async () => {
    const { client } = await setup();
    const response = await client.embed({ model: 'review-assistant-embed', input: ['fresh pasta'] });
    expect(response.embeddings).toEqual([[0.1, 0.2, 0.3]]);
  });

  it('raises ResponseError with the status and message for a bad key, bad input, an unknown model and the rate limit', async () => {
    const { client, gateway } = await setup({ settings: { apiKeyRateLimitBurst: 3, apiKeyRateLimitPerMinute: 1 } });
    const stranger = new Ollama({ host: `${gateway.url}/ollama`, headers: { Authorization: 'Bearer wrong' } });
    await expect(stranger.list()).rejects.toMatchObject({ name: 'ResponseError', status_code: 401, error: 'invalid API key' });
    await expect(client.chat({ model: 'review-assistant', messages: [{ role: 'tool', content: 'x' }] })).rejects.toMatchObject({ status_code: 400 });
    await expect(client.chat({ model: 'llama3.2', messages: question })).rejects.toMatchObject({ status_code: 404, error: expect.stringContaining('not found') });
    await client.list();
    const limited = await fetch(`${gateway.url}/ollama/api/tags`, { headers: { authorization: `Bearer ${KEY}` } });
    expect(limited.status).toBe(429);
    expect(Number(limited.headers.get('retry-after'))).toBeGreaterThanOrEqual(1);
    expect(await limited.json()).toEqual({ error: expect.stringContaining('too many requests') });
  });
});
