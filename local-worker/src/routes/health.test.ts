import { describe, expect, it } from 'vitest';
import type { ModelStatus } from '@review-assistant/shared';
import type { BackendStatus } from '../backends.js';
import { ConcurrencyGate } from '../chat/concurrency-gate.js';
import type { CollectionInfo } from '../ports.js';
import { HealthReporter } from './health.js';

function backend(models: ModelStatus[], warming = false): BackendStatus & { refreshes: number } {
  const status = {
    kind: 'ollama' as const,
    reason: 'MODEL_BACKEND=auto and Ollama answered /api/tags at http://127.0.0.1:11434 in 3 ms',
    refreshes: 0,
    models: () => models,
    isWarmingUp: () => warming,
    refresh: async () => {
      status.refreshes += 1;
    },
  };
  return status;
}

const healthyStore = {
  heartbeat: async () => true,
  listCollections: async (): Promise<CollectionInfo[]> => [
    { name: 'reviews', count: 10_000, embeddingModel: 'mxbai-embed-large' },
    { name: 'sample', count: 40, embeddingModel: 'mxbai-embed-large' },
  ],
};

describe('HealthReporter', () => {
  it('reports warming-up while models are being pulled or loaded', async () => {
    const models: ModelStatus[] = [{ name: 'llama3.2', role: 'chat', state: 'loading', detail: 'pulling' }];
    const reporter = new HealthReporter({ workerId: 'w1', backend: backend(models, true), store: healthyStore, gate: new ConcurrencyGate(2, 8) });
    const health = await reporter.report();
    expect(health.status).toBe('warming-up');
    expect(health.models).toEqual(models);
    expect(health.collections).toEqual({ reviews: 10_000, sample: 40 });
  });

  it('refreshes what is loaded in memory on every report', async () => {
    const status = backend([{ name: 'llama3.2', role: 'chat', state: 'ready' }]);
    const reporter = new HealthReporter({ workerId: 'w1', backend: status, store: healthyStore, gate: new ConcurrencyGate(2, 8) });
    await reporter.report();
    await reporter.report();
    expect(status.refreshes).toBe(2);
  });

  it('reports degraded, without hanging, when Chroma does not answer', async () => {
    const hangingStore = { heartbeat: () => new Promise<boolean>(() => undefined), listCollections: healthyStore.listCollections };
    const reporter = new HealthReporter({
      workerId: 'w1',
      backend: backend([{ name: 'llama3.2', role: 'chat', state: 'ready' }]),
      store: hangingStore,
      gate: new ConcurrencyGate(2, 8),
      chromaTimeoutMs: 100,
    });
    const health = await reporter.report();
    expect(health.status).toBe('degraded');
    expect(health.chroma).toMatchObject({ ok: false, detail: 'no answer within 100 ms' });
    expect(health.collections).toEqual({});
  });

  it('reports degraded when a model is missing, and the live queue depth', async () => {
    const gate = new ConcurrencyGate(1, 3);
    const release = await gate.acquire();
    const waiting = gate.acquire();
    const reporter = new HealthReporter({
      workerId: 'w1',
      backend: backend([{ name: 'llama3.2', role: 'chat', state: 'missing', detail: 'not installed; run: ollama pull llama3.2' }]),
      store: healthyStore,
      gate,
    });
    const health = await reporter.report();
    expect(health.status).toBe('degraded');
    expect(health.queue).toEqual({ active: 1, waiting: 1, capacity: 1, maxQueue: 3 });
    release();
    (await waiting)();
  });

  it('says which collection was built with another embedding model, and how to fix it', async () => {
    const reporter = new HealthReporter({
      workerId: 'w1',
      backend: backend([{ name: 'llama3.2', role: 'chat', state: 'ready' }]),
      store: {
        heartbeat: async () => true,
        listCollections: async () => [
          { name: 'reviews', count: 123, embeddingModel: 'offline-hashed-ngram-tf-v1' },
          { name: 'other', count: 5, embeddingModel: 'mxbai-embed-large' },
        ],
      },
      gate: new ConcurrencyGate(2, 8),
      embeddingModelId: 'mxbai-embed-large',
    });
    const health = await reporter.report();
    expect(health.status).toBe('degraded');
    expect(health.chroma).toMatchObject({ ok: true });
    expect(health.chroma.detail).toBe(
      'collection "reviews" holds offline-hashed-ngram-tf-v1 vectors but queries are embedded with mxbai-embed-large; re-ingest it: npm run ingest -- <file.csv> --collection reviews --reset',
    );
  });

  it('reports stopping once shutdown began', async () => {
    const reporter = new HealthReporter({
      workerId: 'w1',
      backend: backend([]),
      store: healthyStore,
      gate: new ConcurrencyGate(2, 8),
      stopping: () => true,
    });
    expect((await reporter.report()).status).toBe('stopping');
  });
});
