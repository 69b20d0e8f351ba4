import { mkdtemp, rm } from 'node:fs/promises';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { HeartbeatSchema, NonceCache, verifyRequest } from '@review-assistant/shared';
import type { Heartbeat, WorkerHealth } from '@review-assistant/shared';
import { attachNetworking, createTrafficRecorder } from './attach-networking.js';
import { loadNetworkingConfig } from './networking-config.js';
import { NgrokTunnel } from './ngrok-tunnel.js';
import type { NgrokForwardConfig, NgrokListener, NgrokModule } from './ngrok-tunnel.js';

const secret = 'networking-secret-0123456789';
const token = '2networkingFakeToken_0123456789';

const health: WorkerHealth = {
  status: 'ready',
  version: '0.1.0',
  workerId: 'gpu-pc-test',
  backend: 'offline',
  backendReason: 'MODEL_BACKEND=offline',
  models: [],
  chroma: { ok: true },
  collections: { reviews: 3 },
  queue: { active: 0, waiting: 0, capacity: 2, maxQueue: 8 },
  uptimeSeconds: 1,
};

async function startGateway() {
  const heartbeats: Heartbeat[] = [];
  const waiters: (() => void)[] = [];
  const cache = new NonceCache();
  const server = createServer((request, response) => {
    const chunks: Buffer[] = [];
    request.on('data', (chunk: Buffer) => chunks.push(chunk));
    request.on('end', () => {
      const raw = Buffer.concat(chunks);
      try {
        verifyRequest({ secret, method: request.method ?? '', path: request.url ?? '', body: raw, header: (name) => request.headers[name] as string | undefined, nonceCache: cache });
      } catch {
        response.writeHead(401).end();
        return;
      }
      heartbeats.push(HeartbeatSchema.parse(JSON.parse(raw.toString('utf8'))));
      waiters.splice(0).forEach((wake) => wake());
      response.writeHead(204).end();
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    heartbeats,
    until: async (predicate: (all: Heartbeat[]) => boolean) => {
      while (!predicate(heartbeats)) await new Promise<void>((resolve) => waiters.push(resolve));
    },
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}

class FakeNgrok implements NgrokModule {
  readonly configs: NgrokForwardConfig[] = [];
  constructor(private readonly urls: (string | Error)[]) {}
  async forward(config: NgrokForwardConfig): Promise<NgrokListener> {
    this.configs.push(config);
    const next = this.urls.shift() ?? new Error('io error: connection refused');
    if (next instanceof Error) throw next;
    return { url: () => next, close: async () => undefined };
  }
}

const silent = { info: () => undefined, warn: () => undefined, error: () => undefined };
const cleanups: (() => Promise<void>)[] = [];
afterEach(async () => {
  await Promise.all(cleanups.splice(0).map((cleanup) => cleanup()));
});

describe('attachNetworking', () => {
  it('publishes through ngrok, announces the URL in signed heartbeats, re-announces after a drop, and says goodbye', async () => {
    const gateway = await startGateway();
    cleanups.push(gateway.close);
    const dataDir = await mkdtemp(join(tmpdir(), 'networking-'));
    cleanups.push(() => rm(dataDir, { recursive: true, force: true }));
    const fake = new FakeNgrok(['https://first.ngrok.app', 'https://second.ngrok.app']);
    const config = loadNetworkingConfig({
      env: {},
      overrides: {
        workerSharedSecret: secret,
        gatewayUrl: gateway.url,
        ngrokAuthtoken: token,
        ngrokAllowCidrs: '203.0.113.7/32',
        dataDir,
        heartbeatIntervalSeconds: 30,
        inspectorPort: 0,
      },
    });
    const logs: string[] = [];
    const networking = await attachNetworking({
      config,
      localUrl: 'http://127.0.0.1:8787',
      logger: { info: (message) => logs.push(message), warn: (message) => logs.push(message), error: (message) => logs.push(message) },
      healthProvider: () => health,
      recorder: createTrafficRecorder(config),
      loadNgrok: async () => fake,
    });
    cleanups.push(() => networking.stop());
    expect(networking.publicUrl).toBe('https://first.ngrok.app');
    expect(JSON.parse(fake.configs[0]!.traffic_policy!).on_http_request[0].actions[0].config.allow).toEqual(['203.0.113.7/32']);
    await gateway.until((all) => all.length >= 1);
    expect(gateway.heartbeats[0]).toMatchObject({ workerId: 'gpu-pc-test', url: 'https://first.ngrok.app', state: 'ready', capacity: 2, intervalSeconds: 30 });

    expect(networking.tunnel).toBeInstanceOf(NgrokTunnel);
    fake.configs[0]!.onStatusChange!('closed');
    // Skip the 15 s grace period the SDK gets to restore the session by itself.
    await (networking.tunnel as NgrokTunnel).reconnect();
    await gateway.until((all) => all.some((heartbeat) => heartbeat.url === 'https://second.ngrok.app'));

    expect(networking.inspectorUrl).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/);
    await networking.stop();
    expect(gateway.heartbeats.at(-1)).toMatchObject({ url: 'https://second.ngrok.app', goodbye: true });
    expect(logs.join('\n')).not.toContain(token);
    expect(logs.join('\n')).not.toContain(secret);
  });

  it('says plainly that there is no tunnel without a token and announces the configured URL', async () => {
    const gateway = await startGateway();
    cleanups.push(gateway.close);
    const config = loadNetworkingConfig({
      env: {},
      overrides: { workerSharedSecret: secret, gatewayUrl: gateway.url, workerPublicUrl: 'http://worker:8787', inspectorEnabled: false },
    });
    const warnings: string[] = [];
    const networking = await attachNetworking({
      config,
      localUrl: 'http://127.0.0.1:8787',
      logger: { ...silent, warn: (message) => warnings.push(message) },
      healthProvider: () => health,
      skipOllamaCheck: true,
    });
    cleanups.push(() => networking.stop());
    expect(networking.publicUrl).toBe('http://worker:8787');
    expect(warnings.some((message) => message.startsWith('NGROK_AUTHTOKEN is not set: no tunnel'))).toBe(true);
    await gateway.until((all) => all.length >= 1);
    expect(gateway.heartbeats[0]?.url).toBe('http://worker:8787');
  });

  it('fails fast with the bad-token message', async () => {
    const config = loadNetworkingConfig({ env: {}, overrides: { ngrokAuthtoken: token, inspectorEnabled: false } });
    const badToken = new FakeNgrok([Object.assign(new Error('authentication failed\n\nerror_code: ERR_NGROK_107'), { errorCode: 'ERR_NGROK_107' })]);
    await expect(
      attachNetworking({ config, localUrl: 'http://127.0.0.1:8787', logger: silent, healthProvider: () => health, loadNgrok: async () => badToken, skipOllamaCheck: true }),
    ).rejects.toThrow(/NGROK_AUTHTOKEN is well-formed but was rejected/);
  });

  it('rejects a CIDR list that is not one', () => {
    expect(() => loadNetworkingConfig({ env: { NGROK_ALLOW_CIDRS: '203.0.113.7/33' } })).toThrow(/NGROK_ALLOW_CIDRS/);
  });
});
