import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { AppError } from '@review-assistant/shared';
import { OllamaDouble } from '../testing/ollama-double.js';
import { OllamaEmbeddingModel } from './ollama-embedding-model.js';

describe('OllamaEmbeddingModel', () => {
  let ollama: OllamaDouble;
  beforeEach(async () => {
    ollama = await OllamaDouble.start({ embeddingDimensions: 8 });
  });
  afterEach(async () => {
    await ollama.close();
  });

  it('embeds documents in one /api/embed call, as written, with keep_alive and truncation on', async () => {
    const model = new OllamaEmbeddingModel({ baseURL: ollama.url, keepAlive: '45m' });
    const vectors = await model.embedDocuments(['Great naan.', 'Slow service.']);
    expect(vectors).toHaveLength(2);
    expect(vectors[0]).toHaveLength(8);
    expect(vectors[0]).not.toEqual(vectors[1]);
    expect(ollama.callsTo('/api/embed').map((call) => call.body)).toEqual([
      { model: 'mxbai-embed-large', input: ['Great naan.', 'Slow service.'], keep_alive: '45m', truncate: true },
    ]);
  });

  it("puts mxbai's retrieval instruction in front of queries only", async () => {
    const model = new OllamaEmbeddingModel({ baseURL: ollama.url });
    const query = await model.embedQuery('quiet place for a date');
    const [document] = await model.embedDocuments(['Represent this sentence for searching relevant passages: quiet place for a date']);
    expect(query).toEqual(document);
    expect((ollama.callsTo('/api/embed')[0]?.body as { input: string[] }).input).toEqual([
      'Represent this sentence for searching relevant passages: quiet place for a date',
    ]);
  });

  it('sends queries of other models unchanged', async () => {
    const model = new OllamaEmbeddingModel({ baseURL: ollama.url, model: 'llama3.2' });
    await model.embedQuery('naan');
    expect((ollama.callsTo('/api/embed')[0]?.body as { input: string[] }).input).toEqual(['naan']);
  });

  it('fails with a typed, retryable error when the model is missing', async () => {
    const model = new OllamaEmbeddingModel({ baseURL: ollama.url, model: 'nomic-embed-text' });
    const error = await model.embedDocuments(['x']).catch((caught: unknown) => caught);
    expect(error).toBeInstanceOf(AppError);
    expect((error as AppError).code).toBe('model_unavailable');
    expect((error as AppError).isRetryable).toBe(true);
  });

  it('gives up on a hung Ollama with worker_timeout', async () => {
    ollama.setFault('/api/embed', 'hang');
    const model = new OllamaEmbeddingModel({ baseURL: ollama.url, idleTimeoutMs: 150 });
    const error = await model.embedQuery('x').catch((caught: unknown) => caught);
    expect((error as AppError).code).toBe('worker_timeout');
    await ollama.waitForDisconnect('/api/embed');
  });
});
