import OpenAI from 'openai';
import { afterEach, describe, expect, it } from 'vitest';
import type { GatewaySettings } from '../../deps.js';
import { createTestGateway, type TestGateway } from '../../testing/gateway-harness.js';
import { startWorkerDouble, type WorkerDouble, type WorkerDoubleOptions } from '../../testing/worker-double.js';

const KEY = 'compat-test-key-0123456789';
const cleanups: (() => Promise<unknown>)[] = [];
afterEach(async () => {
  while (cleanups.length > 0) await cleanups.pop()?.().catch(() => undefined);
});

async function setup(options: { worker?: WorkerDoubleOptions; settings?: Partial<GatewaySettings> } = {}) {
  const worker: WorkerDouble = await startWorkerDouble(options.worker ?? {});
  cleanups.push(() => worker.close());
  const gateway: TestGateway = createTestGateway({ settings: { apiKeys: [KEY], ...options.settings }, pool: { staticUrls: [worker.url] } });
  await gateway.listen();
  cleanups.push(() => gateway.close());
  const client = new OpenAI({ baseURL: `${gateway.url}/v1`, apiKey: KEY, maxRetries: 0 });
  return { worker, gateway, client };
}

const question = [{ role: 'user' as const, content: 'Which place has fresh pasta?' }];

describe('OpenAI-compatible API through the openai SDK', () => {
  it('lists the assistant among the models', async () => {
    const { client } = await setup();
    const ids = [];
    for await (const model of client.models.list()) ids.push(model.id);
    expect(ids).toEqual(['review-assistant', 'review-assistant-embed']);
  });

  it('streams a grounded answer with numbered citations, the sources extension and usage', async () => {
    const { client, gateway } = await setup({ worker: { answer: 'Casa Olivo has fresh pasta [r1] and a great tiramisu [r2].' } });
    const stream = await client.chat.completions.create({ model: 'review-assistant', messages: question, stream: true, stream_options: { include_usage: true } });
    const chunks = [];
    for await (const chunk of stream) chunks.push(chunk);
    const text = chunks.map((chunk) => chunk.choices[0]?.delta.content ?? '').join('');
    expect(text).toMatch(/^Casa Olivo has fresh pasta \[1\] and a great tiramisu \[2\]\.\n\nSources:\n\[1\] Casa Olivo, 5\/5, 2024-05-01: "The pasta was fresh/);
    expect(text).toContain('[2] Casa Olivo, 3/5');
    expect(chunks.filter((chunk) => chunk.choices.length > 0).length).toBeGreaterThan(3);
    const finish = chunks.find((chunk) => chunk.choices[0]?.finish_reason);
    expect(finish?.choices[0]?.finish_reason).toBe('stop');
    const sources = (finish as unknown as { sources: { number: number; id: string }[] }).sources;
    expect(sources.map((source) => [source.number, source.id])).toEqual([[1, 'r1'], [2, 'r2']]);
    const last = chunks.at(-1)!;
    expect(last.choices).toEqual([]);
    // The double reports one completion token per streamed word.
    expect(last.usage).toEqual({ prompt_tokens: 42, completion_tokens: 11, total_tokens: 53 });
    await waitForRecord(gateway);
    expect(gateway.deps.logStore.records.at(-1)).toMatchObject({ channel: 'openai', route: 'worker', status: 'ok', sources: 2 });
    const metrics = await gateway.deps.metrics.registry.metrics();
    expect(metrics).toMatch(/gateway_chat_turns_total\{channel="openai",route="worker",status="ok"\} 1/);
  });

  it('answers without streaming, with the history passed on to the worker and the user as session id', async () => {
    const { client, worker } = await setup();
    const completion = await client.chat.completions.create({
      model: 'review-assistant',
      user: 'customer-7',
      messages: [
        { role: 'system', content: 'You are a pirate.' },
        { role: 'user', content: 'Tell me about Casa Olivo' },
        { role: 'assistant', content: 'It serves pasta [1].\n\nSources:\n[1] Casa Olivo: "fresh"' },
        { role: 'user', content: [{ type: 'text', text: 'And the staff?' }] },
      ],
      max_tokens: 50,
      temperature: 0.3,
    });
    expect(completion.object).toBe('chat.completion');
    expect(completion.choices[0]?.message.content).toContain('[1]');
    expect(completion.choices[0]?.finish_reason).toBe('stop');
    const call = await worker.waitFor((entry) => entry.path === '/v1/chat');
    expect(call.body).toEqual({
      message: 'And the staff?',
      sessionId: 'customer-7',
      history: [
        { role: 'user', content: 'Tell me about Casa Olivo' },
        { role: 'assistant', content: 'It serves pasta [1].' },
      ],
      generation: { maxTokens: 50, temperature: 0.3 },
    });
  });

  it('answers small talk in the gateway without a worker call (intent routing applies)', async () => {
    const { client, worker } = await setup();
    const completion = await client.chat.completions.create({ model: 'review-assistant', messages: [{ role: 'user', content: 'hello!' }] });
    expect(completion.choices[0]?.message.content).toBe('Hi there! Ask me about restaurant reviews.');
    expect((completion as unknown as { sources: unknown[] }).sources).toEqual([]);
    expect(worker.calls.filter((call) => call.path === '/v1/chat')).toHaveLength(0);
  });

  it('stops at a stop sequence and closes the worker request', async () => {
    const { client, worker } = await setup({ worker: { answer: 'one two three STOP four five six seven eight', tokenDelayMs: 20 } });
    const completion = await client.chat.completions.create({ model: 'review-assistant', messages: question, stop: ['STOP'] });
    expect(completion.choices[0]?.message.content).toBe('one two three ');
    expect(completion.choices[0]?.finish_reason).toBe('stop');
    await worker.waitFor((call) => call.path === '/v1/chat' && call.aborted);
  });

  it('cancels the worker request when the client aborts the stream', async () => {
    const { client, worker, gateway } = await setup({ worker: { answer: Array.from({ length: 60 }, (_, index) => `word${index}`).join(' '), tokenDelayMs: 25 } });
    const controller = new AbortController();
    const stream = await client.chat.completions.create({ model: 'review-assistant', messages: question, stream: true }, { signal: controller.signal });
    let seen = 0;
    try {
      for await (const chunk of stream) {
        if (chunk.choices[0]?.delta.content) seen += 1;
        if (seen === 3) controller.abort();
      }
    } catch (error) {
      expect(error).toBeInstanceOf(OpenAI.APIUserAbortError);
    }
    expect(seen).toBe(3);
    const call = await worker.waitFor((entry) => entry.path === '/v1/chat' && entry.aborted);
    expect(call.eventsSent).toBeLessThan(30);
    await waitForRecord(gateway);
    expect(gateway.deps.logStore.records.at(-1)).toMatchObject({ channel: 'openai', status: 'cancelled' });
  });

  it('cancels the worker request when the client aborts a non-streamed request', async () => {
    const { client, worker } = await setup({ worker: { answer: Array.from({ length: 60 }, (_, index) => `word${index}`).join(' '), tokenDelayMs: 25 } });
    const controller = new AbortController();
    const pending = client.chat.completions.create({ model: 'review-assistant', messages: question }, { signal: controller.signal });
    const call = await worker.waitFor((entry) => entry.path === '/v1/chat' && entry.eventsSent >= 3);
    controller.abort();
    await expect(pending).rejects.toBeInstanceOf(OpenAI.APIUserAbortError);
    await worker.waitFor((entry) => entry === call && entry.aborted);
    expect(call.eventsSent).toBeLessThan(30);
  });

  it('raises the SDK error classes for 401, 400 and 429 (per key, with Retry-After)', async () => {
    const { gateway, client } = await setup({ settings: { apiKeyRateLimitBurst: 2, apiKeyRateLimitPerMinute: 1 } });
    const stranger = new OpenAI({ baseURL: `${gateway.url}/v1`, apiKey: 'not-a-key', maxRetries: 0 });
    await expect(stranger.models.list()).rejects.toBeInstanceOf(OpenAI.AuthenticationError);
    await expect(client.chat.completions.create({ model: 'review-assistant', messages: [] })).rejects.toBeInstanceOf(OpenAI.BadRequestError);
    await client.models.list();
    const error = await client.chat.completions.create({ model: 'review-assistant', messages: question }).catch((caught: unknown) => caught);
    expect(error).toBeInstanceOf(OpenAI.RateLimitError);
    const limited = error as InstanceType<typeof OpenAI.RateLimitError>;
    expect(limited.status).toBe(429);
    expect(Number(limited.headers?.get('retry-after'))).toBeGreaterThanOrEqual(1);
    expect(limited.code).toBe('rate_limit_exceeded');
  });

  it('reports an unknown model as 404 model_not_found, and a closed API as 403', async () => {
    const { client } = await setup();
    const error = await client.chat.completions.create({ model: 'gpt-4o', messages: question }).catch((caught: unknown) => caught);
    expect(error).toBeInstanceOf(OpenAI.NotFoundError);
    expect((error as InstanceType<typeof OpenAI.NotFoundError>).code).toBe('model_not_found');
    const { gateway } = await setup({ settings: { apiKeys: [] } });
    const closed = new OpenAI({ baseURL: `${gateway.url}/v1`, apiKey: KEY, maxRetries: 0 });
    await expect(closed.models.list()).rejects.toBeInstanceOf(OpenAI.PermissionDeniedError);
  });

  it('starts the stream and keeps it alive with SSE comments while the worker is slow to answer', async () => {
    const { gateway, client } = await setup({
      worker: { fault: 'slow-first-byte', firstByteDelayMs: 800, answer: 'Late but fresh pasta [r1].' },
      settings: { compatStreaming: { firstPieceWaitMs: 50, keepAliveMs: 100 } },
    });
    const raw = await fetch(`${gateway.url}/v1/chat/completions`, {
      method: 'POST',
      headers: { authorization: `Bearer ${KEY}`, 'content-type': 'application/json' },
      body: JSON.stringify({ model: 'review-assistant', messages: question, stream: true }),
    });
    expect(raw.status).toBe(200);
    const text = await raw.text();
    // The role chunk goes out at once; comments fill the silence until the answer's first words.
    expect(text.slice(0, text.indexOf('"content":"Late'))).toContain(': keep-alive\n\n');
    expect(text.endsWith('data: [DONE]\n\n')).toBe(true);
    let streamed = '';
    for await (const chunk of await client.chat.completions.create({ model: 'review-assistant', messages: question, stream: true })) streamed += chunk.choices[0]?.delta.content ?? '';
    expect(streamed).toMatch(/^Late but fresh pasta \[1\]\./);
  });

  it('turns no available worker into a 503 the SDK can retry, not a 200 stream', async () => {
    const { client, worker } = await setup();
    await worker.close();
    const error = await client.chat.completions.create({ model: 'review-assistant', messages: question, stream: true }).catch((caught: unknown) => caught);
    expect(error).toBeInstanceOf(OpenAI.APIError);
    expect((error as InstanceType<typeof OpenAI.APIError>).status).toBeGreaterThanOrEqual(502);
  });

  it('finishes the turn of a 503 no_worker: the active-streams gauge is back to 0 and the interaction is recorded', async () => {
    const gateway = createTestGateway({ settings: { apiKeys: [KEY] } });
    await gateway.listen();
    cleanups.push(() => gateway.close());
    const client = new OpenAI({ baseURL: `${gateway.url}/v1`, apiKey: KEY, maxRetries: 0 });
    const error = await client.chat.completions.create({ model: 'review-assistant', messages: question }).catch((caught: unknown) => caught);
    expect(error).toBeInstanceOf(OpenAI.APIError);
    expect((error as InstanceType<typeof OpenAI.APIError>).status).toBe(503);
    expect((error as InstanceType<typeof OpenAI.APIError>).code ?? JSON.stringify((error as InstanceType<typeof OpenAI.APIError>).error)).toMatch(/no_worker/);
    await waitForRecord(gateway);
    expect(gateway.deps.logStore.records).toHaveLength(1);
    const gauge = await gateway.deps.metrics.activeStreams.get();
    expect(gauge.values.map((sample) => sample.value)).toEqual(gauge.values.map(() => 0));
    expect(gauge.values.length).toBeGreaterThan(0);
  });

  it('embeds through the worker, as floats and as the SDK\'s default base64', async () => {
    const { client } = await setup();
    const asFloats = await client.embeddings.create({ model: 'review-assistant-embed', input: 'fresh pasta', encoding_format: 'float' });
    expect(asFloats.data[0]?.embedding).toEqual([0.1, 0.2, 0.3]);
    const viaDefault = await client.embeddings.create({ model: 'review-assistant-embed', input: ['fresh pasta'] });
    expect(viaDefault.data[0]?.embedding.map((value) => Math.round(value * 1000) / 1000)).toEqual([0.1, 0.2, 0.3]);
  });
});

async function waitForRecord(gateway: TestGateway): Promise<void> {
  const deadline = Date.now() + 5000;
  while (gateway.deps.logStore.records.length === 0) {
    if (Date.now() > deadline) throw new Error('no interaction record was appended');
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
}
