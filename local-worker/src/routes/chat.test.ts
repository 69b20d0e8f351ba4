import type { AddressInfo } from 'node:net';
import { serve } from '@hono/node-server';
import type { ServerType } from '@hono/node-server';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { pino } from 'pino';
import { StreamEventSchema, readNdjson, signRequest } from '@review-assistant/shared';
import type { StreamEvent } from '@review-assistant/shared';
import { createApp } from '../app.js';
import { ChatService } from '../chat/chat-service.js';
import { ConcurrencyGate } from '../chat/concurrency-gate.js';
import { LlmQueryRewriter } from '../chat/query-rewriter.js';
import { OllamaChatModel } from '../models/ollama-chat-model.js';
import { OllamaDouble } from '../testing/ollama-double.js';
import type { OllamaDoubleOptions } from '../testing/ollama-double.js';
import { RecordingEmbeddingModel, RecordingRetriever, review } from '../testing/recording-ports.js';
import { HealthReporter } from './health.js';

const SECRET = 'chat-route-secret-0123456789';

/**
 * `/v1/chat` over real HTTP with the Ollama backend against the Ollama double: the path a chat
 * turn takes in production, minus Chroma (the retriever is an in-memory double here).
 */
describe('POST /v1/chat with the Ollama backend', () => {
  let ollama: OllamaDouble | undefined;
  let server: ServerType | undefined;
  afterEach(async () => {
    server?.close();
    server = undefined;
    await ollama?.close();
    ollama = undefined;
  });

  async function start(doubleOptions: OllamaDoubleOptions, idleTimeoutMs = 5000) {
    ollama = await OllamaDouble.start(doubleOptions);
    const retriever = new RecordingRetriever([review('r1', 'The haleem was rich and the service quick.', { restaurant: 'Shah Ghouse', rating: 4 })]);
    const chatModel = new OllamaChatModel({ baseURL: ollama.url, idleTimeoutMs });
    const gate = new ConcurrencyGate(2, 8);
    const app = createApp({
      secret: SECRET,
      logger: pino({ level: 'silent' }),
      chatService: new ChatService({ retriever, chatModel, queryRewriter: new LlmQueryRewriter(chatModel), backend: 'ollama' }),
      gate,
      retriever,
      embeddingModel: new RecordingEmbeddingModel(),
      chatModel,
      backend: 'ollama',
      health: new HealthReporter({
        workerId: 'w',
        backend: { kind: 'ollama', reason: 'test', models: () => [], isWarmingUp: () => false, refresh: async () => undefined },
        store: { heartbeat: async () => true, listCollections: async () => [] },
        gate,
      }),
    });
    const started = await new Promise<ServerType>((resolve) => {
      const instance = serve({ fetch: app.fetch, port: 0, hostname: '127.0.0.1' }, () => resolve(instance));
    });
    server = started;
    const port = (started.address() as AddressInfo).port;
    return { url: `http://127.0.0.1:${port}`, gate, retriever };
  }

  function post(url: string, body: unknown, signal?: AbortSignal): Promise<Response> {
    const text = JSON.stringify(body);
    return fetch(`${url}/v1/chat`, {
      method: 'POST',
      body: text,
      ...(signal ? { signal } : {}),
      headers: { 'content-type': 'application/json', ...signRequest({ secret: SECRET, method: 'POST', path: '/v1/chat', body: text }) },
    });
  }

  async function events(response: Response): Promise<StreamEvent[]> {
    const result: StreamEvent[] = [];
    for await (const value of readNdjson(response.body!)) result.push(StreamEventSchema.parse(value));
    return result;
  }

  it('streams the model tokens as answer deltas and reports Ollama token counts', async () => {
    const { url } = await start({});
    const received = await events(await post(url, { message: 'How is the haleem?' }));
    expect(received.map((event) => event.type)).toEqual(['sources', ...Array<string>(8).fill('answer-delta'), 'answer-end']);
    const answer = received.flatMap((event) => (event.type === 'answer-delta' ? [event.text] : [])).join('');
    expect(answer).toBe('The reviews say the food was good [r1].');
    expect(received.at(-1)).toMatchObject({ type: 'answer-end', backend: 'ollama', model: 'llama3.2', usage: { completionTokens: 8 } });
    const chatCall = ollama!.callsTo('/api/chat')[0]?.body as { messages: { role: string; content: string }[] };
    expect(chatCall.messages[0]?.content).toMatch(/ONLY the customer reviews/);
    expect(chatCall.messages.at(-1)?.content).toContain('<review id="r1" restaurant="Shah Ghouse" rating="4">');
  });

  it('rewrites a follow-up with the model before retrieving', async () => {
    const { url, retriever } = await start({
      reply: (messages) => (messages[0]?.content.startsWith('You rewrite') ? ['Service at Shah Ghouse'] : ['Quick [r1].']),
    });
    await events(await post(url, { message: 'And the service there?', history: [{ role: 'user', content: 'Is Shah Ghouse good?' }] }));
    expect(retriever.calls[0]?.query).toBe('Service at Shah Ghouse');
    expect(ollama!.callsTo('/api/chat')).toHaveLength(2);
  });

  it('cancels the Ollama request when the client disconnects mid-answer', async () => {
    const { url, gate } = await start({ reply: () => Array.from({ length: 400 }, (_, index) => `w${index} `), tokenDelayMs: 15 });
    const controller = new AbortController();
    const response = await post(url, { message: 'How is the haleem?' }, controller.signal);
    const reader = response.body!.getReader();
    let text = '';
    while (!text.includes('answer-delta')) {
      const { value } = await reader.read();
      text += new TextDecoder().decode(value);
    }
    controller.abort();
    const disconnect = await ollama!.waitForDisconnect('/api/chat');
    expect(disconnect.path).toBe('/api/chat');
    // and the turn's slot is free again (polled: the release follows the disconnect asynchronously)
    await vi.waitFor(() => expect(gate.snapshot()).toMatchObject({ active: 0, waiting: 0 }), { timeout: 5000, interval: 10 });
  });

  it('ends with a retryable error event when Ollama fails mid-stream', async () => {
    const { url } = await start({});
    ollama!.setFault('/api/chat', 'error-mid-stream');
    const received = await events(await post(url, { message: 'How is the haleem?' }));
    expect(received.map((event) => event.type)).toEqual(['sources', 'answer-delta', 'answer-delta', 'error']);
    expect(received.at(-1)).toMatchObject({ type: 'error', code: 'model_error', retryable: true });
  });

  it('ends with a retryable worker_timeout event when Ollama hangs', async () => {
    const { url } = await start({}, 200);
    ollama!.setFault('/api/chat', 'hang');
    const received = await events(await post(url, { message: 'How is the haleem?' }));
    expect(received.map((event) => event.type)).toEqual(['sources', 'error']);
    expect(received.at(-1)).toMatchObject({ type: 'error', code: 'worker_timeout', retryable: true });
  });
});
