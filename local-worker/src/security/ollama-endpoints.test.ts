import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ErrorBodySchema, signRequest } from '@review-assistant/shared';
import { createBackends } from '../backends.js';
import type { Backends } from '../backends.js';
import { ConcurrencyGate } from '../chat/concurrency-gate.js';
import { createBackendWorkerApp } from '../testing/backend-worker-app.js';
import { OllamaDouble } from '../testing/ollama-double.js';
import { RecordingRetriever } from '../testing/recording-ports.js';

const SECRET = 'ollama-endpoints-secret-0123456789';

/** Ollama's own REST API, including model management and its OpenAI-compatible routes. */
const OLLAMA_ENDPOINTS: [string, string][] = [
  ['GET', '/api/tags'],
  ['GET', '/api/ps'],
  ['GET', '/api/version'],
  ['POST', '/api/pull'],
  ['POST', '/api/push'],
  ['POST', '/api/create'],
  ['POST', '/api/copy'],
  ['DELETE', '/api/delete'],
  ['POST', '/api/show'],
  ['POST', '/api/generate'],
  ['POST', '/api/chat'],
  ['POST', '/api/embed'],
  ['POST', '/api/embeddings'],
  ['POST', '/api/blobs/sha256:0000'],
  ['POST', '/v1/chat/completions'],
  ['POST', '/v1/completions'],
  ['GET', '/v1/models'],
  ['POST', '/v1/embeddings'],
];

let ollama: OllamaDouble;
let backends: Backends;

beforeAll(async () => {
  ollama = await OllamaDouble.start();
  backends = await createBackends(
    {
      modelBackend: 'ollama',
      ollamaHost: ollama.url,
      chatModel: 'llama3.2',
      embedModel: 'mxbai-embed-large',
      ollamaProbeTimeoutMs: 1000,
      ollamaIdleTimeoutMs: 5000,
      ollamaKeepAlive: '5m',
      ollamaPullMissing: false,
    },
    { log: () => undefined },
  );
});

afterAll(async () => {
  await ollama?.close();
});

function buildApp() {
  return createBackendWorkerApp({
    secret: SECRET,
    backends,
    retriever: new RecordingRetriever([]),
    store: { heartbeat: async () => true, listCollections: async () => [] },
    gate: new ConcurrencyGate(2, 8),
    workerId: 'w',
    chromaUrl: 'http://127.0.0.1:1',
  });
}

describe('the worker never exposes Ollama', () => {
  it('answers 401 to Ollama endpoints without a signature and 404 with one, and Ollama sees none of it', async () => {
    expect(backends.kind).toBe('ollama');
    const app = buildApp();
    const callsBefore = ollama.calls.length;
    for (const [method, path] of OLLAMA_ENDPOINTS) {
      const body = method === 'GET' ? undefined : JSON.stringify({ model: 'llama3.2', name: 'evil/model', prompt: 'hi', messages: [{ role: 'user', content: 'hi' }] });
      const unsigned = await app.request(path, { method, ...(body ? { body, headers: { 'content-type': 'application/json' } } : {}) });
      expect([path, unsigned.status]).toEqual([path, 401]);
      const signed = await app.request(path, {
        method,
        ...(body ? { body } : {}),
        headers: { 'content-type': 'application/json', ...signRequest({ secret: SECRET, method, path, body }) },
      });
      expect([path, signed.status]).toEqual([path, 404]);
      expect(ErrorBodySchema.parse(await signed.json()).error.code).toBe('not_found');
    }
    expect(ollama.calls.slice(callsBefore)).toEqual([]);
  });
});
