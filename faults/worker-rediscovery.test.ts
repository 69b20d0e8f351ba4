import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { chatOnce } from './support/chat-client.js';
import type { CompiledService } from './support/compiled-service.js';
import { waitUntil } from './support/http-probe.js';
import { canarySecret, ingestOffline, SAMPLE_REVIEWS, startChroma, startGatewayProcess, startWorkerProcess, tempDir, type TestChroma } from './support/stack.js';

/**
 * A compiled worker that announces itself with heartbeats (no static URL) to the compiled gateway:
 * killed, it expires after three missed heartbeats and chats fail with an explicit error;
 * restarted (on another port), it is found again from its next heartbeat and chats work again.
 */

const SECRET = canarySecret('rediscovery');
const ADMIN_TOKEN = canarySecret('admin');
const INTERVAL_SECONDS = 1;
const QUESTION = 'Which restaurant has good vegan options?';

let chroma: TestChroma;
let dirs: Awaited<ReturnType<typeof tempDir>>;
let gateway: CompiledService;
let worker: CompiledService | undefined;

beforeAll(async () => {
  chroma = await startChroma();
  await ingestOffline(chroma.chroma.url, SAMPLE_REVIEWS);
  dirs = await tempDir('rediscovery');
  gateway = await startGatewayProcess({ secret: SECRET, dataDir: `${dirs.path}/gateway`, env: { ADMIN_TOKEN, ALLOW_PRIVATE_WORKER_URLS: 'true' } });
});

afterAll(async () => {
  await worker?.stop();
  await gateway?.stop();
  await chroma?.stop();
  await dirs?.cleanup();
});

function startWorker(): Promise<CompiledService> {
  return startWorkerProcess({
    secret: SECRET,
    chromaUrl: chroma.chroma.url,
    dataDir: `${dirs.path}/worker`,
    env: { GATEWAY_URL: gateway.url, HEARTBEAT_INTERVAL_SECONDS: String(INTERVAL_SECONDS) },
  });
}

async function registeredUrls(): Promise<string[]> {
  const response = await fetch(`${gateway.url}/admin/api/workers`, { headers: { authorization: `Bearer ${ADMIN_TOKEN}` } });
  const { workers } = (await response.json()) as { workers: { url: string; source: string }[] };
  return workers.filter((entry) => entry.source === 'heartbeat').map((entry) => entry.url);
}

describe('worker restart and rediscovery through heartbeats', () => {
  it('expires a killed worker, fails chats explicitly meanwhile, and finds the restarted worker again', async () => {
    worker = await startWorker();
    const firstUrl = worker.url;
    await waitUntil(async () => (await registeredUrls()).includes(firstUrl), INTERVAL_SECONDS * 1000 * 3, 'first registration');
    expect((await chatOnce(gateway.url, QUESTION)).events.at(-1)?.type).toBe('answer-end');

    await worker.stop('SIGKILL');
    const killedAt = Date.now();
    const meanwhile = await chatOnce(gateway.url, QUESTION);
    expect(meanwhile.events.at(-1)?.type).toBe('error');
    await waitUntil(async () => (await registeredUrls()).length === 0, INTERVAL_SECONDS * 1000 * 6, 'expiry');
    const expiredAfterKillMs = Date.now() - killedAt;
    const afterExpiry = await chatOnce(gateway.url, QUESTION);
    const failure = afterExpiry.events.at(-1);
    expect(failure?.type).toBe('error');
    expect(failure?.type === 'error' && failure.retryable).toBe(true);

    worker = await startWorker();
    const restartedAt = Date.now();
    const secondUrl = worker.url;
    expect(secondUrl).not.toBe(firstUrl);
    const rediscoveredMs = await waitUntil(async () => (await registeredUrls()).includes(secondUrl), INTERVAL_SECONDS * 1000 * 3, 'rediscovery');
    expect((await chatOnce(gateway.url, QUESTION)).events.at(-1)?.type).toBe('answer-end');
    console.info(
      `[faults] heartbeats every ${INTERVAL_SECONDS} s: killed worker expired ${expiredAfterKillMs} ms after the kill; ` +
        `restarted worker registered ${rediscoveredMs} ms after it listened`,
    );

    // A graceful stop says goodbye: the worker is gone from the pool at once.
    await worker.stop('SIGTERM');
    expect(await registeredUrls()).toEqual([]);
    worker = undefined;
  });
});
