import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { readNdjson } from '@review-assistant/shared';
import { Ollama } from 'ollama';
import { OllamaDouble } from './ollama-double.js';

/** The double must answer like Ollama's REST API (docs/api.md of ollama/ollama). */
describe('OllamaDouble', () => {
  let ollama: OllamaDouble;
  beforeEach(async () => {
    ollama = await OllamaDouble.start();
  });
  afterEach(async () => {
    await ollama.close();
  });

  const post = (path: string, body: unknown) => fetch(`${ollama.url}${path}`, { method: 'POST', body: JSON.stringify(body) });

  it('lists models the way /api/tags does', async () => {
    const body = (await (await fetch(`${ollama.url}/api/tags`)).json()) as { models: Record<string, unknown>[] };
    expect(body.models[0]).toMatchObject({
      name: 'llama3.2:latest',
      model: 'llama3.2:latest',
      size: expect.any(Number),
      digest: expect.stringMatching(/^[0-9a-f]{64}$/),
      details: { format: 'gguf', family: 'llama', parameter_size: '3.2B', quantization_level: 'Q4_K_M' },
    });
  });

  it('streams chat as NDJSON lines with message.content, then a done line with counts', async () => {
    const lines = [];
    const response = await post('/api/chat', { model: 'llama3.2', messages: [{ role: 'user', content: 'hi there' }] });
    expect(response.headers.get('content-type')).toBe('application/x-ndjson');
    for await (const line of readNdjson(response.body!)) lines.push(line as Record<string, unknown>);
    expect(lines[0]).toMatchObject({ model: 'llama3.2', message: { role: 'assistant', content: expect.any(String) }, done: false });
    expect(lines.at(-1)).toMatchObject({
      done: true,
      done_reason: 'stop',
      prompt_eval_count: 2,
      eval_count: lines.length - 1,
      total_duration: expect.any(Number),
    });
  });

  it('loads a model for an empty messages array (done_reason "load")', async () => {
    const body = await (await post('/api/chat', { model: 'llama3.2', messages: [] })).json();
    expect(body).toMatchObject({ message: { role: 'assistant', content: '' }, done_reason: 'load', done: true });
    expect([...ollama.loaded.keys()]).toEqual(['llama3.2:latest']);
  });

  it('answers /api/embed with one vector per input and 404s unknown models', async () => {
    const body = (await (await post('/api/embed', { model: 'mxbai-embed-large', input: ['a', 'b'] })).json()) as { embeddings: number[][] };
    expect(body.embeddings).toHaveLength(2);
    const missing = await post('/api/embed', { model: 'nope', input: 'a' });
    expect(missing.status).toBe(404);
    expect(await missing.json()).toEqual({ error: 'model "nope" not found, try pulling it first' });
  });

  it('shows installed models and 404s others on /api/show', async () => {
    expect(await (await post('/api/show', { model: 'llama3.2' })).json()).toMatchObject({ details: { family: 'llama' }, capabilities: ['completion', 'tools'] });
    expect((await post('/api/show', { model: 'nope' })).status).toBe(404);
  });

  it('streams pull progress with digest/total/completed and ends with success', async () => {
    const lines = [];
    for await (const line of readNdjson((await post('/api/pull', { model: 'qwen2.5' })).body!)) lines.push(line as Record<string, unknown>);
    expect(lines[0]).toEqual({ status: 'pulling manifest' });
    expect(lines.find((line) => 'total' in line)).toMatchObject({ digest: expect.stringMatching(/^sha256:/), total: 4_000_000, completed: 0 });
    expect(lines.at(-1)).toEqual({ status: 'success' });
    expect(ollama.installedModels()).toContain('qwen2.5:latest');
  });

  it('records calls and notices a client that hangs up on a hung request', async () => {
    ollama.setFault('/api/chat', 'hang');
    const controller = new AbortController();
    const pending = post('/api/chat', { model: 'llama3.2', messages: [{ role: 'user', content: 'x' }] });
    const aborted = fetch(`${ollama.url}/api/chat`, { method: 'POST', body: '{"model":"llama3.2","messages":[]}', signal: controller.signal }).catch(
      (error: unknown) => error,
    );
    await new Promise((resolve) => setTimeout(resolve, 50));
    controller.abort();
    await aborted;
    await expect(ollama.waitForDisconnect('/api/chat')).resolves.toMatchObject({ path: '/api/chat' });
    expect(ollama.callsTo('/api/chat')).toHaveLength(2);
    void pending.catch(() => undefined);
  });

  describe('behaviours of the real server, seen through the official ollama client', () => {
    const client = () => new Ollama({ host: ollama.url });
    const hi = [{ role: 'user', content: 'hi there' }];

    it('refuses chat with an embedding-only model: 400 "<model>" does not support chat', async () => {
      await expect(client().chat({ model: 'mxbai-embed-large', messages: hi })).rejects.toMatchObject({
        status_code: 400,
        error: '"mxbai-embed-large" does not support chat',
      });
    });

    it('answers 503 "server busy" when its queue is full', async () => {
      ollama.setFault('/api/chat', 'server-busy');
      await expect(client().chat({ model: 'llama3.2', messages: hi })).rejects.toMatchObject({ status_code: 503, error: expect.stringMatching(/^server busy/) });
    });

    it('stops at options.num_predict with done_reason "length" and eval_count of what it generated', async () => {
      const response = await client().chat({ model: 'llama3.2', messages: hi, options: { num_predict: 2 } });
      expect(response).toMatchObject({ done: true, done_reason: 'length', eval_count: 2 });
      const streamed = [];
      for await (const part of await client().chat({ model: 'llama3.2', messages: hi, options: { num_predict: 1 }, stream: true })) streamed.push(part);
      expect(streamed.map((part) => part.done)).toEqual([false, true]);
      expect(streamed.at(-1)).toMatchObject({ done_reason: 'length', eval_count: 1 });
    });

    it('takes loadDelayMs before the first byte for a model that is not loaded, and reports it as load_duration', async () => {
      await ollama.close();
      ollama = await OllamaDouble.start({ loadDelayMs: 300 });
      const started = performance.now();
      const cold = await client().chat({ model: 'llama3.2', messages: hi });
      expect(performance.now() - started).toBeGreaterThanOrEqual(290);
      expect(cold.load_duration).toBe(300_000_000);
      const warm = await client().chat({ model: 'llama3.2', messages: hi });
      expect(warm.load_duration).toBeLessThan(300_000_000);
      const embedded = await client().embed({ model: 'mxbai-embed-large', input: 'x' });
      expect(embedded.load_duration).toBe(300_000_000);
    });

    it('cuts a line inside a multi-byte character, in separate network writes', async () => {
      await ollama.close();
      ollama = await OllamaDouble.start({ reply: () => ['bon 🍕 ', 'fin'] });
      ollama.setFault('/api/chat', 'split-utf8-sequences');
      const response = await post('/api/chat', { model: 'llama3.2', messages: hi });
      const chunks: Uint8Array[] = [];
      for await (const chunk of response.body as unknown as AsyncIterable<Uint8Array>) chunks.push(chunk);
      // some chunk ends in the middle of a UTF-8 sequence: a strict decoder refuses it on its own
      const incomplete = chunks.filter((chunk) => {
        try {
          new TextDecoder('utf-8', { fatal: true }).decode(chunk);
          return false;
        } catch {
          return true;
        }
      });
      expect(incomplete.length).toBeGreaterThan(0);
      expect(Buffer.concat(chunks).toString('utf8')).toContain('"content":"bon 🍕 "');
    });
  });
});

