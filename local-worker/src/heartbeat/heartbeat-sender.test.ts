import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { HeartbeatSender } from './heartbeat-sender.js';
import type { HeartbeatStatus } from './heartbeat-sender.js';
import { resolveWorkerId } from './worker-id.js';
import { startHeartbeatGateway } from '../testing/heartbeat-gateway.js';

const secret = 'heartbeat-secret-0123456789';

const status: HeartbeatStatus = {
  workerId: 'worker-test',
  backend: 'offline',
  state: 'ready',
  models: [{ name: 'offline-hashed', role: 'embed', state: 'builtin' }],
  queueDepth: 0,
  active: 1,
  capacity: 2,
  version: '0.1.0',
};

const closers: (() => Promise<void>)[] = [];
const senders: HeartbeatSender[] = [];
afterEach(async () => {
  await Promise.all(senders.splice(0).map((sender) => sender.stop({ goodbye: false })));
  await Promise.all(closers.splice(0).map((close) => close()));
});

describe('HeartbeatSender', () => {
  it('sends signed heartbeats on a schedule with the current URL, and says goodbye on stop', async () => {
    const gateway = await startHeartbeatGateway({ secret });
    closers.push(gateway.close);
    let url = 'https://first.ngrok.app';
    const sender = new HeartbeatSender({ gatewayUrl: gateway.url, secret, status: () => status, url: () => url, intervalSeconds: 0.05 });
    senders.push(sender);
    sender.start();
    await gateway.until(() => gateway.received.length >= 2);
    url = 'https://second.ngrok.app';
    await sender.sendNow();
    await sender.stop();
    const last = gateway.received.at(-1)!;
    expect(gateway.received.every((call) => call.verdict === 'ok' && call.path === '/internal/workers/heartbeat')).toBe(true);
    expect(gateway.received[0]?.body).toEqual({ ...status, url: 'https://first.ngrok.app', intervalSeconds: 0.05 });
    expect(last.body).toEqual({ ...status, url: 'https://second.ngrok.app', intervalSeconds: 0.05, goodbye: true });
    // The URL change released the old URL first (the gateway binds an id to its URL until expiry).
    expect(gateway.received.filter((call) => call.body?.goodbye).map((call) => call.body?.url)).toEqual(['https://first.ngrok.app', 'https://second.ngrok.app']);
    const change = gateway.received.findIndex((call) => call.body?.url === 'https://second.ngrok.app');
    expect(gateway.received[change - 1]?.body).toMatchObject({ url: 'https://first.ngrok.app', goodbye: true });
  });

  it('logs the reason the gateway gives for refusing a heartbeat', async () => {
    const reason = { code: 'worker_url_rejected', message: 'heartbeat refused: worker URLs must use https (got http)' };
    const gateway = await startHeartbeatGateway({ secret, status: 400, errorBody: reason });
    closers.push(gateway.close);
    const logs: string[] = [];
    const sender = new HeartbeatSender({ gatewayUrl: gateway.url, secret, status: () => status, url: () => 'http://10.0.0.5:8787', log: (level, message) => logs.push(`${level} ${message}`) });
    senders.push(sender);
    expect(await sender.sendNow()).toBe(false);
    expect(logs).toEqual([expect.stringMatching(/^warn .*gateway answered 400: worker_url_rejected: heartbeat refused: worker URLs must use https/)]);
  });

  it('is rejected by a gateway with another secret, logs it once, and keeps running', async () => {
    const gateway = await startHeartbeatGateway({ secret });
    closers.push(gateway.close);
    const logs: string[] = [];
    const sender = new HeartbeatSender({
      gatewayUrl: gateway.url,
      secret: 'some-other-secret-000000',
      status: () => status,
      url: () => 'https://first.ngrok.app',
      intervalSeconds: 0.02,
      log: (level, message) => logs.push(`${level} ${message}`),
    });
    senders.push(sender);
    sender.start();
    await gateway.until(() => gateway.received.length >= 4);
    expect(gateway.received.every((call) => call.verdict === 'mismatch')).toBe(true);
    expect(logs).toHaveLength(1);
    expect(logs[0]).toMatch(/^warn .*401.*WORKER_SHARED_SECRET/);
    expect(logs[0]).not.toContain('some-other-secret');
  });

  it('survives an unreachable gateway without throwing', async () => {
    const gateway = await startHeartbeatGateway({ secret });
    const deadUrl = gateway.url;
    await gateway.close();
    const logs: string[] = [];
    const sender = new HeartbeatSender({ gatewayUrl: deadUrl, secret, status: () => status, url: () => 'https://x.ngrok.app', log: (level, message) => logs.push(`${level} ${message}`) });
    await expect(sender.sendNow()).resolves.toBe(false);
    await expect(sender.sendNow()).resolves.toBe(false);
    expect(logs).toHaveLength(1);
    expect(logs[0]).toContain('heartbeat to');
  });

  it('sends nothing while there is no URL to announce', async () => {
    const gateway = await startHeartbeatGateway({ secret });
    closers.push(gateway.close);
    const sender = new HeartbeatSender({ gatewayUrl: gateway.url, secret, status: () => status, url: () => null });
    await expect(sender.sendNow()).resolves.toBe(false);
    expect(gateway.received).toEqual([]);
  });
});

describe('resolveWorkerId', () => {
  it('keeps the same generated id across restarts, and prefers WORKER_ID', async () => {
    const dataDir = await mkdtemp(join(tmpdir(), 'worker-id-'));
    try {
      const first = await resolveWorkerId({ dataDir });
      expect(first).toMatch(/^[a-z0-9.-]+-[0-9a-f]{6}$/);
      expect(await resolveWorkerId({ dataDir })).toBe(first);
      expect((await readFile(join(dataDir, 'worker-id'), 'utf8')).trim()).toBe(first);
      expect(await resolveWorkerId({ dataDir, configured: 'gpu-pc-1' })).toBe('gpu-pc-1');
    } finally {
      await rm(dataDir, { recursive: true, force: true });
    }
  });
});
