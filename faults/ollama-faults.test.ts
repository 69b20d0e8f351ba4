import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { OllamaDouble, OllamaFault } from '@review-assistant/local-worker/testing';
import { chatOnce } from './support/chat-client.js';
import type { CompiledService } from './support/compiled-service.js';
import { startOllamaStack, type OllamaStack } from './support/ollama-stack.js';
import { canarySecret, ollamaWorkerEnv, startGatewayProcess, startWorkerProcess, type TestChroma } from './support/stack.js';

/**
 * The compiled worker on its Ollama backend, against the Ollama double made slow, erroring and
 * hanging, behind the compiled gateway: each turn ends (answer or explicit error event) within the
 * worker's idle timeout plus a margin, and the worker answers normally once Ollama recovers.
 */

const SECRET = canarySecret('ollama');
const IDLE_TIMEOUT_MS = 1500;
const QUESTION = 'Which restaurant has good vegan options?';

let stack: OllamaStack;
let ollama: OllamaDouble;
let chroma: TestChroma;
let dirs: OllamaStack['dirs'];
let worker: CompiledService;
let gateway: CompiledService;

beforeAll(async () => {
  // slow: 30 tokens, 40 ms apart
  stack = await startOllamaStack('ollama', { tokenDelayMs: 40, reply: () => Array.from({ length: 30 }, (_, index) => `token${index} `) });
  ({ ollama, chroma, dirs } = stack);
  worker = await startWorkerProcess({
    secret: SECRET,
    chromaUrl: chroma.chroma.url,
    dataDir: `${dirs.path}/worker`,
    env: ollamaWorkerEnv(ollama.url, { OLLAMA_IDLE_TIMEOUT_MS: String(IDLE_TIMEOUT_MS) }),
  });
  gateway = await startGatewayProcess({
    secret: SECRET,
    dataDir: `${dirs.path}/gateway`,
    workerUrls: [worker.url],
    // a failing model is not a dead worker, but keep the breaker from hiding the next turn's behaviour
    env: { WORKER_BREAKER_HALF_OPEN_MS: '100', CHAT_RATE_LIMIT_PER_MINUTE: '100000', CHAT_RATE_LIMIT_BURST: '100000' },
  });
});

afterAll(async () => {
  await gateway?.stop();
  await worker?.stop();
  await stack?.stop();
});

async function turn(): Promise<{ events: Awaited<ReturnType<typeof chatOnce>>['events']; ms: number }> {
  const started = Date.now();
  const { events } = await chatOnce(gateway.url, QUESTION);
  return { events, ms: Date.now() - started };
}

describe('Ollama slow, erroring and hanging', () => {
  it('streams a slow answer to the end', async () => {
    const { events, ms } = await turn();
    expect(events.at(-1)?.type).toBe('answer-end');
    expect(events.filter((event) => event.type === 'answer-delta').length).toBeGreaterThanOrEqual(30);
    console.info(`[faults] Ollama slow (30 tokens, 40 ms apart): answered in ${ms} ms`);
  });

  const faults: [path: string, fault: OllamaFault, answersFirst: boolean][] = [
    ['/api/chat', 'http-500', false],
    ['/api/chat', 'error-mid-stream', true],
    ['/api/chat', 'hang', false],
    ['/api/chat', 'stall-mid-stream', true],
    ['/api/embed', 'http-500', false],
    ['/api/embed', 'hang', false],
  ];
  for (const [path, fault, answersFirst] of faults) {
    it(`ends the turn with an explicit error when ${path} is ${fault}, then recovers`, async () => {
      ollama.setFault(path, fault);
      try {
        const { events, ms } = await turn();
        const last = events.at(-1);
        expect(last?.type, JSON.stringify(events.slice(-2))).toBe('error');
        expect(events.some((event) => event.type === 'answer-delta')).toBe(answersFirst);
        if (last?.type === 'error') {
          expect(last.message).not.toContain(new URL(ollama.url).port);
          expect(last.message).not.toMatch(/at .*\.js:\d+/); // no stack traces
        }
        expect(ms).toBeLessThan(IDLE_TIMEOUT_MS + 5000);
        console.info(`[faults] Ollama ${path} ${fault}: error event (${last?.type === 'error' ? last.code : '?'}) after ${ms} ms`);
      } finally {
        ollama.setFault(path, null);
      }
      const recovered = await turn();
      expect(recovered.events.at(-1)?.type).toBe('answer-end');
    });
  }

  it('is still healthy and not holding chat slots after the faults', async () => {
    const answers = await Promise.all([turn(), turn(), turn()]);
    for (const { events } of answers) expect(events.at(-1)?.type).toBe('answer-end');
    expect(worker.alive()).toBe(true);
    expect(gateway.alive()).toBe(true);
  });
});
