import { describe, expect, it } from 'vitest';
import { signRequest, type Heartbeat } from '@review-assistant/shared';
import { WorkerUrlPolicy } from '../pool/worker-url-policy.js';
import { createTestGateway } from '../testing/gateway-harness.js';

const secret = 'heartbeat-route-secret-0123456789';
const path = '/internal/workers/heartbeat';
const heartbeat: Heartbeat = {
  workerId: 'laptop',
  url: 'https://laptop-1.ngrok-free.app',
  backend: 'ollama',
  state: 'ready',
  models: [],
  queueDepth: 0,
  active: 0,
  capacity: 2,
  version: '0.1.0',
  intervalSeconds: 5,
};

function productionGateway(options: { staticUrls?: string[] } = {}) {
  // The production default: https on the ngrok domains only (not the harness's loopback policy).
  return createTestGateway({ settings: { workerSharedSecret: secret }, pool: { urlPolicy: new WorkerUrlPolicy(), staticUrls: options.staticUrls ?? [] } });
}

async function send(gateway: ReturnType<typeof createTestGateway>, body: Partial<Heartbeat>) {
  const raw = JSON.stringify({ ...heartbeat, ...body });
  const response = await gateway.gateway.app.request(path, {
    method: 'POST',
    body: raw,
    headers: { 'content-type': 'application/json', ...signRequest({ secret, method: 'POST', path, body: raw }) },
  });
  return { status: response.status, body: (await response.json()) as { error?: { code: string; message: string }; registered?: boolean } };
}

describe('POST /internal/workers/heartbeat: what a signed heartbeat may announce', () => {
  it.each([
    ['http://169.254.169.254/latest/', /https/],
    ['https://169.254.169.254/latest/', /link-local/],
    ['http://127.0.0.1:9/', /https/],
    ['https://10.1.2.3/', /IP address/],
    ['https://internal.example.com', /WORKER_ALLOWED_HOSTS/],
    ['https://u:p@laptop-1.ngrok-free.app', /credentials/],
  ])('refuses %s with 400 worker_url_rejected and registers nothing', async (url, reason) => {
    const gateway = productionGateway();
    const response = await send(gateway, { url });
    expect(response).toMatchObject({ status: 400, body: { error: { code: 'worker_url_rejected', message: expect.stringMatching(reason) } } });
    expect(gateway.deps.pool.snapshot()).toEqual([]);
  });

  it('refuses the reserved static- ids with 409 and leaves the static worker alone', async () => {
    const gateway = productionGateway({ staticUrls: ['https://static.ngrok-free.app'] });
    const response = await send(gateway, { workerId: 'static-1', url: 'https://attacker.ngrok-free.app' });
    expect(response).toMatchObject({ status: 409, body: { error: { code: 'worker_id_taken', message: expect.stringMatching(/reserved/) } } });
    expect(gateway.deps.pool.snapshot()).toMatchObject([{ id: 'static-1', url: 'https://static.ngrok-free.app', lastHeartbeatAt: null }]);
  });

  it('keeps a worker id bound to its first URL: a second URL for it gets 409 and routes nothing there', async () => {
    const gateway = productionGateway();
    expect((await send(gateway, {})).status).toBe(200);
    const hijack = await send(gateway, { url: 'https://attacker.ngrok-free.app' });
    expect(hijack).toMatchObject({ status: 409, body: { error: { code: 'worker_id_taken' } } });
    expect(gateway.deps.pool.snapshot()).toMatchObject([{ id: 'laptop', url: 'https://laptop-1.ngrok-free.app' }]);
  });

  it('caps the number of heartbeat workers with 429 too_many_workers', async () => {
    const gateway = productionGateway();
    for (let index = 0; index < 16; index += 1) {
      expect((await send(gateway, { workerId: `w${index}`, url: `https://w${index}.ngrok-free.app` })).status).toBe(200);
    }
    const extra = await send(gateway, { workerId: 'w16', url: 'https://w16.ngrok-free.app' });
    expect(extra).toMatchObject({ status: 429, body: { error: { code: 'too_many_workers' } } });
    expect(gateway.deps.pool.snapshot()).toHaveLength(16);
  });

  it('counts a worker reachable by a static URL and by heartbeats once', async () => {
    const gateway = productionGateway({ staticUrls: ['https://laptop-1.ngrok-free.app/'] });
    expect(await send(gateway, {})).toMatchObject({ status: 200, body: { registered: false } });
    expect(gateway.deps.pool.snapshot()).toMatchObject([{ id: 'static-1', source: 'static', backend: 'ollama', state: 'ready' }]);
    expect(gateway.deps.pool.availability()).toMatchObject({ known: 1, up: 1 });
  });
});
