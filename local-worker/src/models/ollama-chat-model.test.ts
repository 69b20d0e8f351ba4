import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { AppError } from '@review-assistant/shared';
import { OllamaDouble } from '../testing/ollama-double.js';
import type { ChatChunk, ChatUsage } from '../ports.js';
import { OllamaChatModel } from './ollama-chat-model.js';

async function collect(stream: AsyncIterable<ChatChunk>): Promise<string[]> {
  const parts: string[] = [];
  for await (const chunk of stream) parts.push(chunk.text);
  return parts;
}

async function failureOf(promise: Promise<unknown>): Promise<AppError> {
  try {
    await promise;
  } catch (error) {
    if (error instanceof AppError) return error;
    throw new Error(`expected an AppError, got ${String(error)}`);
  }
  throw new Error('expected a failure');
}

describe('OllamaChatModel', () => {
  let ollama: OllamaDouble;
  beforeEach(async () => {
    ollama = await OllamaDouble.start({ reply: () => ['Tasty ', 'food ', '[r1].'], tokenDelayMs: 0 });
  });
  afterEach(async () => {
    await ollama.close();
  });

  const messages = [
    { role: 'system' as const, content: 'Answer from the reviews.' },
    { role: 'user' as const, content: 'Is the food good?' },
  ];

  it('streams the tokens Ollama sends and reports token counts from the final line', async () => {
    const model = new OllamaChatModel({ baseURL: ollama.url, model: 'llama3.2', keepAlive: '10m' });
    let usage: ChatUsage | undefined;
    const parts = await collect(model.stream(messages, { onUsage: (value) => (usage = value) }));
    expect(parts.join('')).toBe('Tasty food [r1].');
    // the double counts prompt words (4 + 4) and one eval token per streamed line
    expect(usage).toEqual({ promptTokens: 8, completionTokens: 3 });
    const [call] = ollama.callsTo('/api/chat');
    expect(call?.body).toMatchObject({
      model: 'llama3.2',
      stream: true,
      keep_alive: '10m',
      messages: [
        { role: 'system', content: 'Answer from the reviews.' },
        { role: 'user', content: 'Is the food good?' },
      ],
    });
  });

  it('parses JSON lines that arrive split across network chunks', async () => {
    ollama.setFault('/api/chat', 'split-json-lines');
    const model = new OllamaChatModel({ baseURL: ollama.url });
    expect((await collect(model.stream(messages))).join('')).toBe('Tasty food [r1].');
  });

  it('turns an error line in the middle of the stream into a retryable model_error', async () => {
    ollama.setFault('/api/chat', 'error-mid-stream');
    const model = new OllamaChatModel({ baseURL: ollama.url });
    const parts: string[] = [];
    const error = await failureOf(
      (async () => {
        for await (const chunk of model.stream(messages)) parts.push(chunk.text);
      })(),
    );
    expect(parts).toEqual(['Tasty ', 'food ']);
    expect(error.code).toBe('model_error');
    expect(error.isRetryable).toBe(true);
    expect(error.message).toMatch(/unexpected EOF/);
  });

  it('gives up on an Ollama that never answers with a retryable timeout and closes the request', async () => {
    ollama.setFault('/api/chat', 'hang');
    const model = new OllamaChatModel({ baseURL: ollama.url, idleTimeoutMs: 200 });
    const error = await failureOf(collect(model.stream(messages)));
    expect(error.code).toBe('worker_timeout');
    expect(error.isRetryable).toBe(true);
    await expect(ollama.waitForDisconnect('/api/chat')).resolves.toMatchObject({ path: '/api/chat' });
  });

  it('times out when Ollama goes silent in the middle of a stream', async () => {
    ollama.setFault('/api/chat', 'stall-mid-stream');
    const model = new OllamaChatModel({ baseURL: ollama.url, idleTimeoutMs: 200 });
    const error = await failureOf(collect(model.stream(messages)));
    expect(error.code).toBe('worker_timeout');
  });

  it('cancels the HTTP request to Ollama when the caller aborts', async () => {
    await ollama.close();
    ollama = await OllamaDouble.start({ reply: () => Array.from({ length: 200 }, (_, index) => `t${index} `), tokenDelayMs: 10 });
    const model = new OllamaChatModel({ baseURL: ollama.url });
    const controller = new AbortController();
    const parts: string[] = [];
    const error = await failureOf(
      (async () => {
        for await (const chunk of model.stream(messages, { signal: controller.signal })) {
          parts.push(chunk.text);
          if (parts.length === 3) controller.abort();
        }
      })(),
    );
    expect(error.code).toBe('cancelled');
    await expect(ollama.waitForDisconnect('/api/chat')).resolves.toMatchObject({ path: '/api/chat' });
    expect(parts.length).toBeLessThan(200);
  });

  it('reports a model Ollama does not have as model_unavailable', async () => {
    const model = new OllamaChatModel({ baseURL: ollama.url, model: 'no-such-model' });
    const error = await failureOf(collect(model.stream(messages)));
    expect(error.code).toBe('model_unavailable');
  });

  it('reports an Ollama that is not running as model_unavailable', async () => {
    const url = ollama.url;
    await ollama.close();
    ollama = await OllamaDouble.start();
    const model = new OllamaChatModel({ baseURL: url });
    const error = await failureOf(collect(model.stream(messages)));
    expect(error.code).toBe('model_unavailable');
    expect(error.message).toContain(url);
  });

  it('refuses chat with an embedding-only model as a non-retryable model_error naming the reason', async () => {
    const model = new OllamaChatModel({ baseURL: ollama.url, model: 'mxbai-embed-large' });
    const error = await failureOf(collect(model.stream(messages)));
    expect(error.code).toBe('model_error');
    expect(error.isRetryable).toBe(false);
    expect(error.message).toContain('"mxbai-embed-large" does not support chat');
  });

  it('reports a busy Ollama (503, queue full) as a retryable worker_busy', async () => {
    ollama.setFault('/api/chat', 'server-busy');
    const model = new OllamaChatModel({ baseURL: ollama.url });
    const error = await failureOf(collect(model.stream(messages)));
    expect(error.code).toBe('worker_busy');
    expect(error.isRetryable).toBe(true);
    expect(error.message).toMatch(/server busy/);
  });

  it('ends normally when Ollama stops at the token limit (done_reason "length"), with the counts of what was generated', async () => {
    const model = new OllamaChatModel({ baseURL: ollama.url });
    let usage: ChatUsage | undefined;
    const parts = await collect(model.stream(messages, { maxTokens: 2, onUsage: (value) => (usage = value) }));
    expect(parts).toEqual(['Tasty ', 'food ']);
    expect(usage).toEqual({ promptTokens: 8, completionTokens: 2 });
    expect(ollama.callsTo('/api/chat')[0]?.body).toMatchObject({ options: { num_predict: 2 } });
  });

  it('waits through a cold model load that is slower than the first token but within the idle timeout', async () => {
    await ollama.close();
    ollama = await OllamaDouble.start({ reply: () => ['Tasty ', 'food ', '[r1].'], loadDelayMs: 800 });
    const model = new OllamaChatModel({ baseURL: ollama.url, idleTimeoutMs: 2000 });
    const started = performance.now();
    expect((await collect(model.stream(messages))).join('')).toBe('Tasty food [r1].');
    expect(performance.now() - started).toBeGreaterThanOrEqual(790); // the double really loaded
    // warm now: and a cold load longer than the idle timeout is a timeout, not a hang
    ollama.loaded.clear();
    const impatient = new OllamaChatModel({ baseURL: ollama.url, idleTimeoutMs: 300 });
    expect((await failureOf(collect(impatient.stream(messages)))).code).toBe('worker_timeout');
  });

  it('keeps multi-byte characters whole when the bytes from Ollama are cut inside them', async () => {
    await ollama.close();
    ollama = await OllamaDouble.start({ reply: () => ['Très ', 'bon 🍕 ', 'à 東京 ', '[r1].'] });
    ollama.setFault('/api/chat', 'split-utf8-sequences');
    const model = new OllamaChatModel({ baseURL: ollama.url });
    expect((await collect(model.stream(messages))).join('')).toBe('Très bon 🍕 à 東京 [r1].');
  });
});

