import { readFileSync } from 'node:fs';
import { Ajv2020 } from 'ajv/dist/2020.js';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestGateway, type TestGateway } from '../../testing/gateway-harness.js';
import { startWorkerDouble, type WorkerDouble } from '../../testing/worker-double.js';

/**
 * Wire conformance of the OpenAI-compatible API: bodies, chunks, status codes and content types
 * checked against the published OpenAI schemas (`fixtures/openai-schemas.json`, taken from
 * openai/openai-openapi), with raw HTTP so nothing an SDK forgives hides a difference.
 */

const fixture = JSON.parse(readFileSync(new URL('./fixtures/openai-schemas.json', import.meta.url), 'utf8')) as { schemas: Record<string, unknown> };
const ajv = new Ajv2020({ strict: false, allErrors: true, validateFormats: false });
ajv.addSchema({ $id: 'openai', components: { schemas: fixture.schemas } });

function conforms(schema: string, value: unknown): string[] {
  const validate = ajv.getSchema(`openai#/components/schemas/${schema}`);
  if (!validate) throw new Error(`no schema ${schema} in the fixture`);
  return validate(value) ? [] : (validate.errors ?? []).map((error) => `${error.instancePath} ${error.message}`);
}

const KEY = 'conformance-key-0123456789';
let worker: WorkerDouble;
let gateway: TestGateway;

beforeAll(async () => {
  worker = await startWorkerDouble({ answer: 'Casa Olivo has fresh pasta [r1] and slow service [r2].' });
  gateway = createTestGateway({ settings: { apiKeys: [KEY], maxBodyBytes: 64 * 1024 }, pool: { staticUrls: [worker.url] } });
  await gateway.listen();
});
afterAll(async () => {
  await gateway?.close();
  await worker?.close();
});

const call = (path: string, init: { method?: string; body?: unknown; raw?: string; headers?: Record<string, string> } = {}) =>
  fetch(`${gateway.url}${path}`, {
    method: init.method ?? (init.body === undefined && init.raw === undefined ? 'GET' : 'POST'),
    headers: { authorization: `Bearer ${KEY}`, 'content-type': 'application/json', ...init.headers },
    ...(init.raw !== undefined ? { body: init.raw } : init.body !== undefined ? { body: JSON.stringify(init.body) } : {}),
  });
const question = [{ role: 'user', content: 'Which place has fresh pasta?' }];

describe('OpenAI-compatible API: wire conformance with the published schemas', () => {
  it('lists models as a ListModelsResponse', async () => {
    const response = await call('/v1/models');
    expect(response.status).toBe(200);
    expect(response.headers.get('content-type')).toMatch(/^application\/json/);
    expect(conforms('ListModelsResponse', await response.json())).toEqual([]);
    const model = await call('/v1/models/review-assistant');
    expect(conforms('Model', await model.json())).toEqual([]);
  });

  it('answers a non-streamed request with a CreateChatCompletionResponse', async () => {
    const response = await call('/v1/chat/completions', { body: { model: 'review-assistant', messages: question } });
    expect(response.status).toBe(200);
    expect(response.headers.get('content-type')).toMatch(/^application\/json/);
    const body = await response.json();
    expect(conforms('CreateChatCompletionResponse', body)).toEqual([]);
    expect(body.choices[0].finish_reason).toBe('stop');
  });

  it('streams CreateChatCompletionStreamResponse chunks: role first, one finish_reason, the usage chunk last, then [DONE]', async () => {
    const response = await call('/v1/chat/completions', { body: { model: 'review-assistant', messages: question, stream: true, stream_options: { include_usage: true } } });
    expect(response.status).toBe(200);
    expect(response.headers.get('content-type')).toMatch(/^text\/event-stream/);
    const text = await response.text();
    expect(text.endsWith('data: [DONE]\n\n')).toBe(true);
    const events = text.split('\n\n').filter(Boolean);
    expect(events.every((event) => event.startsWith('data: '))).toBe(true);
    const chunks = events.slice(0, -1).map((event) => JSON.parse(event.slice(6)));
    for (const chunk of chunks) expect(conforms('CreateChatCompletionStreamResponse', chunk)).toEqual([]);
    expect(new Set(chunks.map((chunk) => chunk.id)).size).toBe(1);
    expect(chunks[0].choices[0].delta).toEqual({ role: 'assistant', content: '' });
    const finishing = chunks.filter((chunk) => chunk.choices[0]?.finish_reason);
    expect(finishing).toHaveLength(1);
    expect(finishing[0].choices[0]).toMatchObject({ finish_reason: 'stop', delta: {} });
    const usage = chunks.at(-1);
    expect(usage.choices).toEqual([]);
    expect(usage.usage).toMatchObject({ prompt_tokens: 42, total_tokens: usage.usage.prompt_tokens + usage.usage.completion_tokens });
    expect(chunks.slice(0, -1).every((chunk) => chunk.usage === null)).toBe(true);
  });

  it('sends no usage field at all when the client did not ask for it', async () => {
    const text = await (await call('/v1/chat/completions', { body: { model: 'review-assistant', messages: question, stream: true } })).text();
    const chunks = text.split('\n\n').filter((event) => event.startsWith('data: {')).map((event) => JSON.parse(event.slice(6)));
    expect(chunks.some((chunk) => 'usage' in chunk)).toBe(false);
    expect(chunks.at(-1).choices[0].finish_reason).toBe('stop');
  });

  it('answers embeddings with a CreateEmbeddingResponse', async () => {
    const response = await call('/v1/embeddings', { body: { model: 'review-assistant-embed', input: 'pasta', encoding_format: 'float' } });
    expect(response.status).toBe(200);
    expect(conforms('CreateEmbeddingResponse', await response.json())).toEqual([]);
  });

  it('answers bad input with a 4xx ErrorResponse naming the problem, never a 5xx', async () => {
    const cases: [string, Parameters<typeof call>[1], number, RegExp][] = [
      ['missing messages', { body: { model: 'review-assistant' } }, 400, /messages/],
      ['empty messages', { body: { model: 'review-assistant', messages: [] } }, 400, /messages must not be empty/],
      ['empty content', { body: { model: 'review-assistant', messages: [{ role: 'user', content: '' }] } }, 400, /message must not be empty/],
      ['blank content', { body: { model: 'review-assistant', messages: [{ role: 'user', content: '   ' }] } }, 400, /message must not be empty/],
      ['null content', { body: { model: 'review-assistant', messages: [{ role: 'user', content: null }] } }, 400, /message must not be empty/],
      ['unknown role', { body: { model: 'review-assistant', messages: [{ role: 'robot', content: 'hi' }] } }, 400, /role must be/],
      ['tool role', { body: { model: 'review-assistant', messages: [{ role: 'tool', content: 'x', tool_call_id: 'a' }] } }, 400, /role must be/],
      ['ends with the assistant', { body: { model: 'review-assistant', messages: [...question, { role: 'assistant', content: 'ok' }] } }, 400, /last message must be the user/],
      ['only a system message', { body: { model: 'review-assistant', messages: [{ role: 'system', content: 'be nice' }] } }, 400, /last message must be the user/],
      ['an image part', { body: { model: 'review-assistant', messages: [{ role: 'user', content: [{ type: 'image_url', image_url: { url: 'http://x' } }] }] } }, 400, /only text parts/],
      ['a too long question', { body: { model: 'review-assistant', messages: [{ role: 'user', content: 'x'.repeat(4001) }] } }, 400, /at most 4000/],
      ['messages not a list', { body: { model: 'review-assistant', messages: 'hi' } }, 400, /messages/],
      ['n above 1', { body: { model: 'review-assistant', messages: question, n: 3 } }, 400, /one choice/],
      ['tools', { body: { model: 'review-assistant', messages: question, tools: [{ type: 'function', function: { name: 'f' } }] } }, 400, /tool calling is not supported/],
      ['temperature out of range', { body: { model: 'review-assistant', messages: question, temperature: 7 } }, 400, /temperature/],
      ['missing model', { body: { messages: question } }, 400, /model/],
      ['unknown model', { body: { model: 'gpt-4o', messages: question } }, 404, /does not exist/],
      ['malformed JSON', { raw: '{"model": "review-assistant", "messages": [' }, 400, /not valid JSON/],
      ['JSON that is not an object', { raw: '[1,2,3]' }, 400, /expected object/i],
      ['a form body', { raw: 'model=review-assistant', headers: { 'content-type': 'application/x-www-form-urlencoded' } }, 415, /Content-Type: application\/json/],
      ['a huge body', { raw: JSON.stringify({ model: 'review-assistant', messages: [{ role: 'user', content: 'x'.repeat(200_000) }] }) }, 413, /limited to/],
      ['no key', { body: { model: 'review-assistant', messages: question }, headers: { authorization: '' } }, 401, /missing API key/],
      ['a wrong key', { body: { model: 'review-assistant', messages: question }, headers: { authorization: 'Bearer nope' } }, 401, /invalid API key/],
    ];
    for (const [name, init, status, message] of cases) {
      const response = await call('/v1/chat/completions', init);
      expect(response.status, name).toBe(status);
      expect(response.headers.get('content-type'), name).toMatch(/^application\/json/);
      const body = await response.json();
      expect(conforms('ErrorResponse', body), name).toEqual([]);
      expect(body.error.message, name).toMatch(message);
    }
    const errorTypes = await Promise.all(
      [
        ['/v1/chat/completions', { body: { model: 'review-assistant' } }],
        ['/v1/models', { headers: { authorization: 'Bearer nope' } }],
        ['/v1/chat/completions', { body: { model: 'gpt-4o', messages: question } }],
      ].map(async ([path, init]) => (await (await call(path as string, init as Parameters<typeof call>[1])).json()).error),
    );
    expect(errorTypes.map((error) => [error.type, error.code])).toEqual([
      ['invalid_request_error', 'validation_failed'],
      ['authentication_error', 'invalid_api_key'],
      ['invalid_request_error', 'model_not_found'],
    ]);
  });

  it('answers unknown paths under /v1 and bad embeddings input in the same shape', async () => {
    const unknown = await call('/v1/completions', { body: { model: 'review-assistant', prompt: 'x' } });
    expect(unknown.status).toBe(404);
    expect(conforms('ErrorResponse', await unknown.json())).toEqual([]);
    for (const body of [{ model: 'review-assistant-embed', input: [] }, { model: 'review-assistant-embed', input: [1, 2, 3] }, { model: 'review-assistant', input: 'x' }]) {
      const response = await call('/v1/embeddings', { body });
      expect(response.status).toBeGreaterThanOrEqual(400);
      expect(response.status).toBeLessThan(500);
      expect(conforms('ErrorResponse', await response.json())).toEqual([]);
    }
  });
});
