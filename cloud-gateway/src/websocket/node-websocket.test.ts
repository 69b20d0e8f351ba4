import type { IncomingMessage, Server } from 'node:http';
import { connect } from 'node:net';
import type { AddressInfo } from 'node:net';
import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import { serve } from '@hono/node-server';
import { afterEach, describe, expect, it } from 'vitest';
import { WebSocket } from 'ws';
import type { GatewaySettings } from '../deps.js';
import { createTestGateway, type TestGateway } from '../testing/gateway-harness.js';

const KEY = 'dGhlIHNhbXBsZSBub25jZQ==';
const cleanups: (() => Promise<void>)[] = [];
afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
});

interface Started {
  gateway: TestGateway;
  server: Server;
  port: number;
  url: string;
}

/** The real gateway app on port 0, with the server at hand (the upgrade listener is ours to watch). */
async function start(settings: Partial<GatewaySettings> = {}): Promise<Started> {
  const gateway = createTestGateway({ settings });
  const server = await new Promise<Server>((resolve) => {
    const started = serve({ fetch: gateway.gateway.app.fetch, port: 0, hostname: '127.0.0.1' }, () => resolve(started as Server));
  });
  gateway.gateway.injectWebSocket(server);
  const port = (server.address() as AddressInfo).port;
  cleanups.push(async () => {
    gateway.gateway.closeWebSockets();
    server.closeAllConnections();
    await new Promise<void>((resolve) => server.close(() => resolve()));
  });
  return { gateway, server, port, url: `http://127.0.0.1:${port}` };
}

interface RawResponse {
  status: number;
  headers: Record<string, string>;
  body: string;
}

/** Sends one raw HTTP request and reads the answer until the server closes the connection. */
function raw(port: number, head: string): Promise<RawResponse> {
  return new Promise((resolve, reject) => {
    const socket = connect(port, '127.0.0.1', () => socket.write(head));
    const chunks: Buffer[] = [];
    socket.on('data', (chunk: Buffer) => chunks.push(chunk));
    socket.on('error', reject);
    socket.on('close', () => {
      const text = Buffer.concat(chunks).toString('utf8');
      const [headerBlock = '', body = ''] = text.split('\r\n\r\n');
      const [statusLine = '', ...headerLines] = headerBlock.split('\r\n');
      const headers = Object.fromEntries(headerLines.map((line) => [line.slice(0, line.indexOf(':')).toLowerCase(), line.slice(line.indexOf(':') + 1).trim()]));
      resolve({ status: Number(statusLine.split(' ')[1]), headers, body });
    });
  });
}

const upgradeHead = (path: string, headers: Record<string, string | undefined> = {}) => {
  const all: Record<string, string | undefined> = {
    Host: 'gateway.test',
    Connection: 'Upgrade',
    Upgrade: 'websocket',
    'Sec-WebSocket-Version': '13',
    'Sec-WebSocket-Key': KEY,
    ...headers,
  };
  const lines = Object.entries(all).filter((entry): entry is [string, string] => entry[1] !== undefined);
  return `GET ${path} HTTP/1.1\r\n${lines.map(([name, value]) => `${name}: ${value}`).join('\r\n')}\r\n\r\n`;
};

/** Sends an upgrade request and resets the connection (RST) right away, or after the first byte back. */
function upgradeThenReset(port: number, path: string, when: 'at-once' | 'after-reply'): Promise<void> {
  return new Promise((resolve) => {
    const socket = connect(port, '127.0.0.1', () => {
      socket.write(upgradeHead(path));
      if (when === 'at-once') setImmediate(() => socket.resetAndDestroy());
    });
    socket.once('data', () => socket.resetAndDestroy());
    socket.on('error', () => undefined);
    socket.on('close', () => resolve());
  });
}

function openSocket(url: string, options: { origin?: string; headers?: Record<string, string> } = {}): Promise<WebSocket> {
  return new Promise((resolve, reject) => {
    const socket = new WebSocket(`${url.replace('http', 'ws')}/ws/chat`, { ...options });
    socket.once('open', () => {
      cleanups.push(async () => socket.terminate());
      resolve(socket);
    });
    socket.once('unexpected-response', (_request, response: IncomingMessage) => reject(new Error(`refused with ${response.statusCode}`)));
    socket.once('error', reject);
  });
}

async function until(condition: () => boolean, what: string, timeoutMs = 5_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!condition()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
}

describe('WebSocket upgrades', () => {
  it('refuses upgrades on every path but /ws/chat with a JSON 400, before the app runs', async () => {
    const { port, url } = await start();
    for (const path of ['/healthz', '/intent', '/api/chat', '/docs/assets/x', '/nowhere', '/ws/chat/../healthz']) {
      const answer = await raw(port, upgradeHead(path));
      expect({ path, status: answer.status }).toEqual({ path, status: 400 });
      expect(JSON.parse(answer.body)).toMatchObject({ error: { code: 'bad_request', message: expect.stringContaining('/ws/chat') } });
      expect(answer.headers.connection).toBe('close');
      // The app sets X-Request-Id on everything it answers: this answer never went through it.
      expect(answer.headers['x-request-id']).toBeUndefined();
    }
    expect((await fetch(`${url}/healthz`)).status).toBe(200);
  });

  it('survives TCP resets during and after upgrade requests on any path, then still serves HTTP and WebSockets', async () => {
    const { port, url, gateway } = await start();
    for (let round = 0; round < 20; round++) {
      for (const path of ['/healthz', '/ws/chat', '/intent', '/nowhere']) {
        await upgradeThenReset(port, path, round % 2 === 0 ? 'at-once' : 'after-reply');
      }
    }
    expect((await fetch(`${url}/healthz`)).status).toBe(200);
    const socket = await openSocket(url);
    expect(socket.readyState).toBe(WebSocket.OPEN);
    socket.close();
    await until(() => gateway.gateway.webSocketConnections() === 0, 'every connection slot released');
  });

  it('checks Sec-WebSocket-Key and Sec-WebSocket-Version before handing the socket to ws', async () => {
    const { port } = await start();
    const missingKey = await raw(port, upgradeHead('/ws/chat', { 'Sec-WebSocket-Key': undefined }));
    expect(missingKey.status).toBe(400);
    expect(JSON.parse(missingKey.body)).toMatchObject({ error: { code: 'bad_request', message: expect.stringMatching(/Sec-WebSocket-Key/) } });
    expect((await raw(port, upgradeHead('/ws/chat', { 'Sec-WebSocket-Key': 'short' }))).status).toBe(400);
    const oldVersion = await raw(port, upgradeHead('/ws/chat', { 'Sec-WebSocket-Version': '8' }));
    expect(oldVersion.status).toBe(426);
    expect(oldVersion.headers['sec-websocket-version']).toBe('13');
    expect((await raw(port, upgradeHead('/ws/chat', { Upgrade: 'h2c' }))).status).toBe(400);
    expect((await raw(port, upgradeHead('/ws/chat').replace('GET', 'POST'))).status).toBe(405);
  });

  it('keeps nothing of a handshake that never completes (keyless upgrades are garbage-collected)', async () => {
    const { port, server, gateway } = await start();
    const requests: WeakRef<IncomingMessage>[] = [];
    server.prependListener('upgrade', (request: IncomingMessage) => requests.push(new WeakRef(request)));
    for (let index = 0; index < 20; index++) {
      const answer = await raw(port, upgradeHead('/ws/chat', { 'Sec-WebSocket-Key': undefined }));
      expect(answer.status).toBe(400);
    }
    // A refused handshake whose key ws rejects itself (a forged protocol list) must not linger either.
    for (let index = 0; index < 5; index++) {
      await raw(port, upgradeHead('/ws/chat', { 'Sec-WebSocket-Protocol': ',,,' }));
    }
    expect(requests).toHaveLength(25);
    expect(gateway.gateway.webSocketConnections()).toBe(0);
    setFlagsFromString('--expose-gc');
    const gc = runInNewContext('gc') as () => void;
    await until(
      () => {
        gc();
        return requests.every((request) => request.deref() === undefined);
      },
      'the refused requests to be collected',
      10_000,
    );
  });

  it('accepts the page\'s own origin, CORS_ORIGINS and clients without Origin; refuses other sites with 403', async () => {
    const { port, url } = await start({ corsOrigins: ['https://reviews.example.com'] });
    await expect(openSocket(url, { origin: `http://127.0.0.1:${port}` })).resolves.toBeInstanceOf(WebSocket);
    await expect(openSocket(url, { origin: 'https://reviews.example.com' })).resolves.toBeInstanceOf(WebSocket);
    await expect(openSocket(url)).resolves.toBeInstanceOf(WebSocket);
    await expect(openSocket(url, { origin: 'https://evil.example' })).rejects.toThrow(/403/);
    await expect(openSocket(url, { origin: 'null' })).rejects.toThrow(/403/);
    const foreign = await raw(port, upgradeHead('/ws/chat', { Host: `127.0.0.1:${port}`, Origin: `http://127.0.0.1.evil.example:${port}` }));
    expect(JSON.parse(foreign.body)).toMatchObject({ error: { code: 'forbidden' } });
  });

  it('keys the per-IP cap on the viewer CloudFront reports, only with the edge secret', async () => {
    const secret = 'edge-secret-0123456789abcdef-random';
    const { url } = await start({ wsMaxConnectionsPerIp: 1, wsMaxConnections: 10, trustProxy: true, edgeSecrets: [secret] });
    // behind CloudFront and the ALB every viewer arrives with the same edge address last in X-Forwarded-For
    const viewer = (address: string, withSecret = true) => ({
      headers: { 'X-Forwarded-For': '130.176.12.34', 'CloudFront-Viewer-Address': address, ...(withSecret ? { 'X-Origin-Verify': secret } : {}) },
    });
    await openSocket(url, viewer('198.51.100.10:40001'));
    await openSocket(url, viewer('203.0.113.77:51000'));
    await expect(openSocket(url, viewer('198.51.100.10:40002'))).rejects.toThrow(/429/);
    // without the secret the header is ignored: keyed on the edge address, which has its one slot now
    await openSocket(url, viewer('192.0.2.1:1', false));
    await expect(openSocket(url, viewer('192.0.2.2:1', false))).rejects.toThrow(/429/);
  });

  it('caps WebSocket connections per client IP (429) and in total (503), with Retry-After, and frees slots on close', async () => {
    const { url, port, gateway } = await start({ wsMaxConnectionsPerIp: 2, wsMaxConnections: 3, trustProxy: true });
    const from = (ip: string) => ({ headers: { 'X-Forwarded-For': ip } });
    const first = await openSocket(url, from('198.51.100.1'));
    await openSocket(url, from('198.51.100.1'));
    await expect(openSocket(url, from('198.51.100.1'))).rejects.toThrow(/429/);
    const perIp = await raw(port, upgradeHead('/ws/chat', { 'X-Forwarded-For': '198.51.100.1' }));
    expect(perIp.status).toBe(429);
    expect(Number(perIp.headers['retry-after'])).toBeGreaterThan(0);
    await openSocket(url, from('198.51.100.2'));
    const full = await raw(port, upgradeHead('/ws/chat', { 'X-Forwarded-For': '198.51.100.3' }));
    expect(full.status).toBe(503);
    expect(full.headers['retry-after']).toBeDefined();
    first.close();
    await until(() => gateway.gateway.webSocketConnections() === 2, 'the closed socket to free its slot');
    await expect(openSocket(url, from('198.51.100.3'))).resolves.toBeInstanceOf(WebSocket);
  });
});
