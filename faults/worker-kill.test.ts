import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { OllamaDouble } from '@review-assistant/local-worker/testing';
import { startChat } from './support/chat-client.js';
import type { CompiledService } from './support/compiled-service.js';
import { waitUntil } from './support/http-probe.js';
import { readInteractionLog } from './support/interaction-log.js';
import { startOllamaStack, type OllamaStack } from './support/ollama-stack.js';
import { canarySecret, ollamaWorkerEnv, startGatewayProcess, startWorkerProcess, waitForWorker, type TestChroma } from './support/stack.js';

/**
 * The compiled worker is SIGKILLed while it streams an answer through the compiled gateway, 50
 * times. Measured at the gateway's client: every stream must end with an `error` event within 2 s
 * of the kill (none hangs), and after each restart a new chat streams again.
 */

const KILLS = 50;
const ERROR_DEADLINE_MS = 2000;
const SECRET = canarySecret('worker-kill');
const QUESTION = 'Which restaurant has good vegan options?';

let stack: OllamaStack;
let chroma: TestChroma;
let ollama: OllamaDouble;
let dirs: OllamaStack['dirs'];
let gateway: CompiledService;
let workerPort: number;

beforeAll(async () => {
  // A long answer, token by token: the worker is always mid-stream when it is killed.
  stack = await startOllamaStack('worker-kill', { tokenDelayMs: 20, reply: () => Array.from({ length: 400 }, (_, index) => `word${index} `) });
  ({ ollama, chroma, dirs } = stack);
  const first = await startWorker(0);
  workerPort = first.port;
  await first.stop();
  gateway = await startGatewayProcess({
    secret: SECRET,
    dataDir: `${dirs.path}/gateway`,
    workerUrls: [`http://127.0.0.1:${workerPort}`],
    env: { WORKER_BREAKER_HALF_OPEN_MS: '200', CHAT_RATE_LIMIT_PER_MINUTE: '100000', CHAT_RATE_LIMIT_BURST: '100000' },
  });
});

afterAll(async () => {
  await gateway?.stop();
  await stack?.stop();
});

function startWorker(port: number): Promise<CompiledService> {
  return startWorkerProcess({ secret: SECRET, chromaUrl: chroma.chroma.url, dataDir: `${dirs.path}/worker`, port, env: ollamaWorkerEnv(ollama.url) });
}

describe('worker killed mid-stream', () => {
  it(`ends every stream with an error event within ${ERROR_DEADLINE_MS} ms of the kill, ${KILLS} times, and recovers after each restart`, async () => {
    const errorDelays: number[] = [];
    const recoveries: number[] = [];
    for (let kill = 0; kill < KILLS; kill += 1) {
      const worker = await startWorker(workerPort);
      const readyAt = Date.now();
      await waitForWorker(SECRET, worker.url);
      // The gateway may still hold the breaker open from the previous kill: retry until a stream runs.
      let stream = await startChat(gateway.url, QUESTION);
      while (!(await stream.waitFor('answer-delta', 10_000).then(() => true, () => false))) {
        await stream.finished;
        stream = await startChat(gateway.url, QUESTION);
      }
      recoveries.push(Date.now() - readyAt);

      const killedAt = Date.now();
      await worker.stop('SIGKILL');
      const { endedAt } = await Promise.race([
        stream.finished,
        new Promise<{ endedAt: number }>((resolve) => setTimeout(() => resolve({ endedAt: Number.NaN }), 15_000)),
      ]);
      const last = stream.events.at(-1);
      expect(last?.type, `kill ${kill}: events ${JSON.stringify(stream.events.map((event) => event.type).slice(-3))}`).toBe('error');
      expect(endedAt, `kill ${kill}: the stream did not end`).not.toBeNaN();
      expect(last!.receivedAt - killedAt, `kill ${kill}`).toBeLessThanOrEqual(ERROR_DEADLINE_MS);
      errorDelays.push(last!.receivedAt - killedAt);
    }
    const sorted = [...errorDelays].sort((a, b) => a - b);
    console.info(
      `[faults] worker killed mid-stream ${KILLS}×: error event after p50 ${sorted[Math.floor(KILLS / 2)]} ms, max ${sorted.at(-1)} ms; ` +
        `restart → streaming again: max ${Math.max(...recoveries)} ms`,
    );
    expect(errorDelays).toHaveLength(KILLS);
    // Each killed turn is in the interaction log as a failed turn that had started answering.
    const killedTurns = async () => (await readInteractionLog(`${dirs.path}/gateway`)).filter((record) => record.status !== 'ok' && record.timeToFirstTokenMs !== null);
    await waitUntil(async () => (await killedTurns()).length >= KILLS, 5000, 'the interaction records');
    expect(await killedTurns()).toHaveLength(KILLS);
    expect(gateway.alive()).toBe(true);
  });
});
