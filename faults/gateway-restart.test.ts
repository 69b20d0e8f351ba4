import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startWorkerDouble, type WorkerDouble } from '@review-assistant/cloud-gateway/testing';
import { chatOnce, startChat } from './support/chat-client.js';
import type { CompiledService } from './support/compiled-service.js';
import { waitUntil } from './support/http-probe.js';
import { readInteractionLog } from './support/interaction-log.js';
import { canarySecret, startGatewayProcess, tempDir } from './support/stack.js';

/**
 * The compiled gateway with the local interaction log, stopped (SIGTERM, and SIGKILL with turns in
 * flight) and started again on the same DATA_DIR: every record written before is still there and
 * whole, and the new process appends after them.
 */

const SECRET = canarySecret('restart');
let worker: WorkerDouble;
let dirs: Awaited<ReturnType<typeof tempDir>>;
let gateway: CompiledService | undefined;

beforeAll(async () => {
  worker = await startWorkerDouble({ secret: SECRET, workerId: 'restart-worker', tokenDelayMs: 5 });
  dirs = await tempDir('restart');
});

afterAll(async () => {
  await gateway?.stop();
  await worker?.close();
  await dirs?.cleanup();
});

async function start(): Promise<{ gateway: CompiledService; readyMs: number }> {
  const started = Date.now();
  const running = await startGatewayProcess({
    secret: SECRET,
    dataDir: dirs.path,
    workerUrls: [worker.url],
    env: { LOG_STORE: 'local', CHAT_RATE_LIMIT_PER_MINUTE: '100000', CHAT_RATE_LIMIT_BURST: '100000' },
  });
  await waitUntil(async () => (await fetch(`${running.url}/readyz`).catch(() => undefined))?.status === 200, 30_000, 'readyz');
  return { gateway: running, readyMs: Date.now() - started };
}

const MESSAGES = ['hello there', 'Which restaurant has good vegan options?', 'Is Saffron Lantern family friendly?', 'hi!'];

async function chats(url: string, count: number): Promise<void> {
  for (let index = 0; index < count; index += 1) {
    const { events } = await chatOnce(url, MESSAGES[index % MESSAGES.length]!);
    expect(events.at(-1)?.type).toBe('answer-end');
  }
}

describe('gateway restart', () => {
  it('keeps every interaction record across a graceful restart and a SIGKILL with turns in flight', async () => {
    const first = await start();
    gateway = first.gateway;
    await chats(gateway.url, 12);
    await waitUntil(async () => (await readInteractionLog(dirs.path)).length === 12, 5000, '12 records');
    const beforeRestart = await readInteractionLog(dirs.path);

    await gateway.stop('SIGTERM');
    expect((await gateway.exited).code).toBe(0);
    const second = await start();
    gateway = second.gateway;
    expect(await readInteractionLog(dirs.path)).toEqual(beforeRestart);
    await chats(gateway.url, 6);
    await waitUntil(async () => (await readInteractionLog(dirs.path)).length === 18, 5000, '18 records');
    expect((await readInteractionLog(dirs.path)).slice(0, 12)).toEqual(beforeRestart);

    // SIGKILL while five turns stream: what was written stays whole (no half record), nothing before is lost.
    worker.options.tokenDelayMs = 200;
    const inFlight = await Promise.all(Array.from({ length: 5 }, () => startChat(gateway!.url, 'Which restaurant has good vegan options?')));
    await Promise.all(inFlight.map((stream) => stream.waitFor('answer-delta', 10_000)));
    await gateway.stop('SIGKILL');
    await Promise.all(inFlight.map((stream) => stream.finished));
    worker.options.tokenDelayMs = 5;
    const third = await start();
    gateway = third.gateway;
    const afterKill = await readInteractionLog(dirs.path);
    expect(afterKill.length).toBeGreaterThanOrEqual(18);
    expect(afterKill.length).toBeLessThanOrEqual(23);
    expect(afterKill.slice(0, 12)).toEqual(beforeRestart);

    await chats(gateway.url, 4);
    await waitUntil(async () => (await readInteractionLog(dirs.path)).length === afterKill.length + 4, 5000, 'the new records');
    const final = await readInteractionLog(dirs.path);
    expect(new Set(final.map((record) => record.requestId)).size).toBe(final.length);
    console.info(`[faults] gateway restart: ready again after ${second.readyMs} ms (SIGTERM) and ${third.readyMs} ms (SIGKILL); ${final.length} records intact`);
  });
});
