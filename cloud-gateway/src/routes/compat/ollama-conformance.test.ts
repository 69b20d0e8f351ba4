import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestGateway, type TestGateway } from '../../testing/gateway-harness.js';
import { startWorkerDouble, type WorkerDouble } from '../../testing/worker-double.js';
import { OllamaChatFinalSchema, OllamaChatPartSchema, OllamaEmbedSchema, OllamaErrorSchema, OllamaTagsSchema, OllamaVersionSchema } from './fixtures/ollama-api.js';

/** Wire conformance of the Ollama-compatible API with raw HTTP, against shapes written from Ollama's API reference. */

const KEY = 'conformance-key-0123456789';
let worker: WorkerDouble;
let gateway: TestGateway;

beforeAll(async () => {
  worker = await startWorkerDouble({ answer: 'Casa Olivo has fresh pasta [r1].' });
  gateway = createTestGateway({ settings: { apiKeys: [KEY], maxBodyBytes: 64 * 1024 }, pool: { staticUrls: [worker.url] } });
  await gateway.listen();
});
afterAll(async () => {
  await gateway?.close();
  await worker?.close();
});

const call = (path: string, init: { body?: unknown; raw?: string; headers?: Record<string, string> } = {}) =>
  fetch(`${gateway.url}/ollama${path}`, {
    method: init.body === undefined && init.raw === undefined ? 'GET' : 'POST',
    headers: { authorization: `Bearer ${KEY}`, 'content-type': 'application/json', ...init.headers },
    ...(init.raw !== undefined ? { body: init.raw } : init.body !== undefined ? { body: JSON.stringify(init.body) } : {}),
  });
const question = [{ role: 'user', content: 'Which place has fresh pasta?' }];

describe('Ollama-compatible API: wire conformance with the API reference', () => {
  it('serves tags and version in Ollama\'s shapes', async () => {
    const tags = await call('/api/tags');
    expect(tags.headers.get('content-type')).toMatch(/^application\/json/);
    expect(OllamaTagsSchema.safeParse(await tags.json()).error).toBeUndefined();
    expect(OllamaVersionSchema.safeParse(await (await call('/api/version')).json()).error).toBeUndefined();
  });

  it('streams NDJSON chat parts (done: false) ending in one done object, as application/x-ndjson', async () => {
    const response = await call('/api/chat', { body: { model: 'review-assistant', messages: question } });
    expect(response.status).toBe(200);
    expect(response.headers.get('content-type')).toMatch(/^application\/x-ndjson/);
    const text = await response.text();
    expect(text.endsWith('\n')).toBe(true);
    const lines = text.trimEnd().split('\n').map((line) => JSON.parse(line));
    for (const part of lines.slice(0, -1)) expect(OllamaChatPartSchema.safeParse(part).error).toBeUndefined();
    expect(OllamaChatFinalSchema.safeParse(lines.at(-1)).error).toBeUndefined();
    expect(lines.at(-1).message.content).toBe('');
  });

  it('answers stream: false with one done object carrying the whole message', async () => {
    const response = await call('/api/chat', { body: { model: 'review-assistant', messages: question, stream: false } });
    expect(response.headers.get('content-type')).toMatch(/^application\/json/);
    const body = await response.json();
    expect(OllamaChatFinalSchema.safeParse(body).error).toBeUndefined();
    expect(body.message.content).toMatch(/^Casa Olivo has fresh pasta \[1\]\./);
  });

  it('answers embed in Ollama\'s shape', async () => {
    const response = await call('/api/embed', { body: { model: 'review-assistant-embed', input: 'pasta' } });
    expect(OllamaEmbedSchema.safeParse(await response.json()).error).toBeUndefined();
  });

  it('answers bad input with a 4xx {"error": "..."} naming the problem, never a 5xx', async () => {
    const cases: [string, string, Parameters<typeof call>[1], number, RegExp][] = [
      ['missing messages', '/api/chat', { body: { model: 'review-assistant' } }, 400, /messages/],
      ['empty content', '/api/chat', { body: { model: 'review-assistant', messages: [{ role: 'user', content: '' }] } }, 400, /must not be empty/],
      ['unknown role', '/api/chat', { body: { model: 'review-assistant', messages: [{ role: 'tool', content: 'x' }] } }, 400, /role must be/],
      ['ends with the assistant', '/api/chat', { body: { model: 'review-assistant', messages: [...question, { role: 'assistant', content: 'ok' }] } }, 400, /last message/],
      ['images', '/api/chat', { body: { model: 'review-assistant', messages: [{ role: 'user', content: 'what is this', images: ['aGk='] }] } }, 400, /images are not supported/],
      ['structured output', '/api/chat', { body: { model: 'review-assistant', messages: question, format: 'json' } }, 400, /structured output/],
      ['unknown model', '/api/chat', { body: { model: 'llama3.2', messages: question } }, 404, /not found/],
      ['malformed JSON', '/api/chat', { raw: '{"model":' }, 400, /not valid JSON/],
      ['a huge body', '/api/chat', { raw: JSON.stringify({ model: 'review-assistant', messages: [{ role: 'user', content: 'x'.repeat(200_000) }] }) }, 413, /limited to/],
      ['no key', '/api/tags', { headers: { authorization: '' } }, 401, /missing API key/],
      ['embed without input', '/api/embed', { body: { model: 'review-assistant-embed' } }, 400, /input/],
      ['embed with the chat model', '/api/embed', { body: { model: 'review-assistant', input: 'x' } }, 404, /not found/],
      ['a model-management route', '/api/pull', { body: { model: 'llama3.2' } }, 404, /no route/],
    ];
    for (const [name, path, init, status, message] of cases) {
      const response = await call(path, init);
      expect(response.status, name).toBe(status);
      expect(response.headers.get('content-type'), name).toMatch(/^application\/json/);
      const body = await response.json();
      expect(OllamaErrorSchema.safeParse(body).error, name).toBeUndefined();
      expect(body.error, name).toMatch(message);
    }
  });
});
