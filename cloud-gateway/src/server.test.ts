import { mkdtemp, readFile, readdir, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pino } from 'pino';
import { afterEach, describe, expect, it } from 'vitest';
import { loadGatewayConfig } from './config.js';
import { startGateway } from './server.js';
import { keywordIntentService, readSse, testPolicy } from './testing/gateway-harness.js';
import { startWorkerDouble } from './testing/worker-double.js';

const secret = 'server-test-secret-0123456789';
const cleanups: (() => Promise<void>)[] = [];
afterEach(async () => {
  await Promise.all(cleanups.splice(0).map((cleanup) => cleanup()));
});

describe('startGateway', () => {
  it('serves from config on port 0, logs turns to DATA_DIR, and lets a running stream finish on shutdown', async () => {
    const dataDir = await mkdtemp(join(tmpdir(), 'gateway-server-'));
    cleanups.push(() => rm(dataDir, { recursive: true, force: true }));
    const worker = await startWorkerDouble({ secret, tokenDelayMs: 30, answer: 'one two three four five six' });
    cleanups.push(() => worker.close());
    const config = loadGatewayConfig({ env: { PORT: '0', DATA_DIR: dataDir, WORKER_URLS: worker.url, WORKER_SHARED_SECRET: secret } });
    const running = await startGateway(config, { intent: keywordIntentService(), policy: testPolicy, logger: pino({ level: 'silent' }) });
    cleanups.push(() => running.close(100));
    expect(running.url).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/);

    const response = await fetch(`${running.url}/api/chat`, { method: 'POST', body: JSON.stringify({ message: 'best pasta?' }), headers: { 'content-type': 'application/json' } });
    const events = readSse(response.body!);
    const first = await events.next();
    expect(first.value?.data.type).toBe('intent');
    const closing = running.close(5000);
    const rest: string[] = [];
    for await (const { data } of events) rest.push(data.type);
    expect(rest.at(-1)).toBe('answer-end');
    await closing;
    await expect(fetch(`${running.url}/healthz`)).rejects.toThrow();
    const [file] = await readdir(join(dataDir, 'logs'));
    const record = JSON.parse((await readFile(join(dataDir, 'logs', file!), 'utf8')).trim()) as { status: string; route: string };
    expect(record).toMatchObject({ status: 'ok', route: 'worker' });
  });
});
