import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { OllamaDouble } from '@review-assistant/local-worker/testing';
import { startWorker, type RunningWorker } from '@review-assistant/local-worker';
import { FakeNgrokEdge } from '../e2e/support/fake-ngrok-edge.js';
import { chatOnce, startChat } from './support/chat-client.js';
import type { CompiledService } from './support/compiled-service.js';
import { waitUntil } from './support/http-probe.js';
import { startOllamaStack, type OllamaStack } from './support/ollama-stack.js';
import { canarySecret, ollamaWorkerEnv, startGatewayProcess, type TestChroma } from './support/stack.js';

/**
 * The worker publishes itself through an injected ngrok listener (the e2e fake edge: a real
 * reverse proxy on loopback) and heartbeats to the compiled gateway. The listener drops in the
 * middle of a streamed answer: the client gets an error event within 2 s, chats fail explicitly
 * while the tunnel is down, and once the worker's tunnel reconnects (new URL) and announces it,
 * chats work again.
 */

const SECRET = canarySecret('tunnel');
const ADMIN_TOKEN = canarySecret('admin');
const QUESTION = 'Which restaurant has good vegan options?';

let stack: OllamaStack;
let ollama: OllamaDouble;
let chroma: TestChroma;
let dirs: OllamaStack['dirs'];
let gateway: CompiledService;
let edge: FakeNgrokEdge;
let worker: RunningWorker;

beforeAll(async () => {
  stack = await startOllamaStack('tunnel', { tokenDelayMs: 20, reply: () => Array.from({ length: 200 }, (_, index) => `word${index} `) });
  ({ ollama, chroma, dirs } = stack);
  gateway = await startGatewayProcess({ secret: SECRET, dataDir: `${dirs.path}/gateway`, env: { ADMIN_TOKEN, ALLOW_PRIVATE_WORKER_URLS: 'true', WORKER_BREAKER_HALF_OPEN_MS: '200' } });
  edge = new FakeNgrokEdge();
  worker = await startWorker({
    env: {
      ...ollamaWorkerEnv(ollama.url),
      WORKER_SHARED_SECRET: SECRET,
      GATEWAY_URL: gateway.url,
      DATA_DIR: `${dirs.path}/worker`,
      CHROMA_URL: chroma.chroma.url,
      WORKER_PORT: '0',
      WORKER_ID: 'tunnel-worker',
      NGROK_AUTHTOKEN: '2faultsFakeNgrokToken_0123456789',
      HEARTBEAT_INTERVAL_SECONDS: '1',
      INSPECTOR_ENABLED: 'false',
      LOG_LEVEL: 'silent',
    },
    loadNgrok: async () => edge,
  });
});

afterAll(async () => {
  await worker?.stop();
  await edge?.closeAll();
  await gateway?.stop();
  await stack?.stop();
});

async function registeredUrl(): Promise<string | undefined> {
  const response = await fetch(`${gateway.url}/admin/api/workers`, { headers: { authorization: `Bearer ${ADMIN_TOKEN}` } });
  const { workers } = (await response.json()) as { workers: { id: string; url: string }[] };
  return workers.find((entry) => entry.id === 'tunnel-worker')?.url;
}

describe('tunnel listener dropping', () => {
  it('ends the running stream with an error, fails chats explicitly while down, and recovers on the new tunnel URL', async () => {
    const firstUrl = worker.networking!.publicUrl;
    await waitUntil(async () => (await registeredUrl()) === firstUrl, 3000, 'registration');

    const stream = await startChat(gateway.url, QUESTION);
    await stream.waitFor('answer-delta', 10_000);
    const droppedAt = Date.now();
    await edge.closeAll();
    edge.dropSession();
    await stream.finished;
    const last = stream.events.at(-1);
    expect(last?.type).toBe('error');
    const errorMs = last!.receivedAt - droppedAt;
    expect(errorMs).toBeLessThanOrEqual(2000);

    const whileDown = await chatOnce(gateway.url, QUESTION);
    expect(whileDown.events.at(-1)?.type).toBe('error');

    const reconnectAt = Date.now();
    await (worker.networking!.tunnel as { reconnect?: () => Promise<void> }).reconnect?.();
    const secondUrl = worker.networking!.tunnel.publicUrl;
    expect(secondUrl).not.toBe(firstUrl);
    await waitUntil(async () => (await registeredUrl()) === secondUrl, 3000, 'the new URL at the gateway');
    let answer = await chatOnce(gateway.url, QUESTION);
    for (let attempt = 0; attempt < 20 && answer.events.at(-1)?.type !== 'answer-end'; attempt += 1) {
      await new Promise((resolve) => setTimeout(resolve, 100));
      answer = await chatOnce(gateway.url, QUESTION);
    }
    expect(answer.events.at(-1)?.type).toBe('answer-end');
    console.info(`[faults] tunnel listener dropped mid-stream: error event after ${errorMs} ms; new tunnel URL registered and answering ${Date.now() - reconnectAt} ms after the reconnect`);
  });
});
