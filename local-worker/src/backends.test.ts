import { afterEach, describe, expect, it } from 'vitest';
import { OllamaDouble } from './testing/ollama-double.js';
import { createBackends, workerEmbeddingModelId } from './backends.js';
import { createEmbeddingModel, embeddingModelId } from './models/embedding-factory.js';
import { OFFLINE_EMBEDDING_MODEL_ID } from './models/offline-embeddings.js';
import type { BackendsConfig } from './backends.js';

function config(overrides: Partial<BackendsConfig>): BackendsConfig {
  return {
    modelBackend: 'auto',
    ollamaHost: 'http://127.0.0.1:9',
    chatModel: 'llama3.2',
    embedModel: 'mxbai-embed-large',
    ollamaProbeTimeoutMs: 300,
    ollamaIdleTimeoutMs: 5000,
    ollamaKeepAlive: '30m',
    ollamaPullMissing: true,
    ...overrides,
  };
}

let ollama: OllamaDouble | undefined;
afterEach(async () => {
  await ollama?.close();
  ollama = undefined;
});

describe('createBackends', () => {
  it('MODEL_BACKEND=auto picks Ollama when /api/tags answers, and says why', async () => {
    ollama = await OllamaDouble.start();
    const backends = await createBackends(config({ ollamaHost: ollama.url }));
    expect(backends.kind).toBe('ollama');
    expect(backends.reason).toMatch(new RegExp(`^MODEL_BACKEND=auto and Ollama answered /api/tags at ${ollama.url} in \\d+ ms$`));
    expect(backends.chatModel).toMatchObject({ provider: 'ollama', modelId: 'llama3.2' });
    expect(backends.embeddingModel).toMatchObject({ provider: 'ollama', modelId: 'mxbai-embed-large' });
    expect(backends.queryRewriter.kind).toBe('llm');
    expect(backends.isWarmingUp()).toBe(true);
    await backends.warmUp();
    expect(backends.isWarmingUp()).toBe(false);
    expect(backends.models().map((model) => [model.name, model.role, model.state])).toEqual([
      ['llama3.2', 'chat', 'ready'],
      ['mxbai-embed-large', 'embed', 'ready'],
    ]);
  });

  it('MODEL_BACKEND=auto falls back to offline when Ollama hangs, and says why', async () => {
    ollama = await OllamaDouble.start();
    ollama.setFault('/api/tags', 'hang');
    const backends = await createBackends(config({ ollamaHost: ollama.url, ollamaProbeTimeoutMs: 150 }));
    expect(backends.kind).toBe('offline');
    expect(backends.reason).toBe(`MODEL_BACKEND=auto and Ollama is unreachable at ${ollama.url} (no answer within 150 ms)`);
    expect(backends.queryRewriter.kind).toBe('heuristic');
    expect(backends.models().every((model) => model.state === 'builtin')).toBe(true);
  });

  it('MODEL_BACKEND=auto falls back to offline when nothing listens', async () => {
    ollama = await OllamaDouble.start();
    const url = ollama.url;
    await ollama.close();
    ollama = undefined;
    const backends = await createBackends(config({ ollamaHost: url }));
    expect(backends.kind).toBe('offline');
    expect(backends.reason).toBe(`MODEL_BACKEND=auto and Ollama is unreachable at ${url} (connection failed: ECONNREFUSED)`);
  });

  it('MODEL_BACKEND=offline never contacts Ollama', async () => {
    ollama = await OllamaDouble.start();
    const backends = await createBackends(config({ modelBackend: 'offline', ollamaHost: ollama.url }));
    expect(backends.kind).toBe('offline');
    expect(backends.reason).toBe('MODEL_BACKEND=offline');
    expect(backends.chatModel.provider).toBe('offline');
    expect(backends.embeddingModel.provider).toBe('offline');
    expect(ollama.calls).toHaveLength(0);
  });

  it('MODEL_BACKEND=ollama keeps Ollama even when it does not answer yet, and says so', async () => {
    ollama = await OllamaDouble.start();
    const url = ollama.url;
    await ollama.close();
    ollama = undefined;
    const backends = await createBackends(config({ modelBackend: 'ollama', ollamaHost: url }));
    expect(backends.kind).toBe('ollama');
    expect(backends.reason).toMatch(/^MODEL_BACKEND=ollama, but Ollama does not answer at /);
    await backends.warmUp();
    expect(backends.models().every((model) => model.state === 'error')).toBe(true);
  });
});

describe('workerEmbeddingModelId', () => {
  it('names the embedding model createBackends would build, for each backend choice', async () => {
    ollama = await OllamaDouble.start();
    const up = config({ ollamaHost: ollama.url, embedModel: 'nomic-embed-text' });
    expect(await workerEmbeddingModelId(up)).toBe('nomic-embed-text');
    expect(await workerEmbeddingModelId(up)).toBe((await createBackends(up)).embeddingModel.modelId);
    const offline = config({ modelBackend: 'offline', ollamaHost: ollama.url });
    expect(await workerEmbeddingModelId(offline)).toBe(OFFLINE_EMBEDDING_MODEL_ID);
    expect(await workerEmbeddingModelId(offline)).toBe((await createBackends(offline)).embeddingModel.modelId);
    ollama.setFault('/api/tags', 'hang');
    const down = config({ ollamaHost: ollama.url, ollamaProbeTimeoutMs: 150 });
    expect(await workerEmbeddingModelId(down)).toBe(OFFLINE_EMBEDDING_MODEL_ID);
  });

  it('matches the id of the model the factory builds', () => {
    for (const model of [{ backend: 'offline' as const }, { backend: 'ollama' as const }, { backend: 'ollama' as const, embedModel: 'all-minilm' }]) {
      expect(embeddingModelId(model)).toBe(createEmbeddingModel(model).modelId);
    }
  });
});
