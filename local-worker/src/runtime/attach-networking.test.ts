import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import type { WorkerHealth } from '@review-assistant/shared';
import { attachNetworking, createTrafficRecorder } from './attach-networking.js';
import { loadNetworkingConfig } from './networking-config.js';
import { NgrokTunnel } from '../tunnel/ngrok-tunnel.js';
import type { NgrokForwardConfig, NgrokListener, NgrokModule } from '../tunnel/ngrok-tunnel.js';
import { startHeartbeatGateway } from '../testing/heartbeat-gateway.js';

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
    const gateway = await startHeartbeatGateway({ secret });
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
    await gateway.until(() => gateway.heartbeats.length >= 1);
    expect(gateway.heartbeats[0]).toMatchObject({ workerId: 'gpu-pc-test', url: 'https://first.ngrok.app', state: 'ready', capacity: 2, intervalSeconds: 30 });

    expect(networking.tunnel).toBeInstanceOf(NgrokTunnel);
    fake.configs[0]!.onStatusChange!('closed');
    // Skip the 15 s grace period the SDK gets to restore the session by itself.
    await (networking.tunnel as NgrokTunnel).reconnect();
    await gateway.until(() => gateway.heartbeats.some((heartbeat) => heartbeat.url === 'https://second.ngrok.app'));

    expect(networking.inspectorUrl).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/);
    await networking.stop();
    expect(gateway.heartbeats.at(-1)).toMatchObject({ url: 'https://second.ngrok.app', goodbye: true });
    expect(logs.join('\n')).not.toContain(token);
    expect(logs.join('\n')).not.toContain(secret);
  });

  it('says plainly that there is no tunnel without a token and announces the configured URL', async () => {
    const gateway = await startHeartbeatGateway({ secret });
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
    await gateway.until(() => gateway.heartbeats.length >= 1);
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
