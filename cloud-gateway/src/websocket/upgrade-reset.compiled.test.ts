import { connect } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { WebSocket } from 'ws';
import { buildGateway, startCompiledGateway, type CompiledGateway } from '../testing/compiled-gateway.js';

const PATHS = ['/healthz', '/intent', '/ws/chat', '/api/chat', '/docs', '/nowhere'];
const ROUNDS = 50; // 300 attacks in all

/** An upgrade request followed by a TCP reset (RST), at once or once the gateway has answered. */
function upgradeThenReset(port: number, path: string, when: 'at-once' | 'after-reply'): Promise<void> {
  return new Promise((resolve) => {
    const socket = connect(port, '127.0.0.1', () => {
      socket.write(`GET ${path} HTTP/1.1\r\nHost: gateway.test\r\nConnection: Upgrade\r\nUpgrade: websocket\r\nSec-WebSocket-Version: 13\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n\r\n`);
      if (when === 'at-once') setImmediate(() => socket.resetAndDestroy());
    });
    socket.once('data', () => socket.resetAndDestroy());
    socket.on('error', () => undefined);
    socket.on('close', () => resolve());
  });
}

describe('the compiled gateway under upgrade-then-reset attacks (production flags)', () => {
  let gateway: CompiledGateway;
  beforeAll(async () => {
    await buildGateway();
    gateway = await startCompiledGateway();
  }, 300_000);
  afterAll(async () => gateway?.stop());

  it(`stays up and serving after ${ROUNDS * PATHS.length} upgrade requests reset on every kind of path`, async () => {
    for (let round = 0; round < ROUNDS; round++) {
      await Promise.all(PATHS.map((path, index) => upgradeThenReset(gateway.port, path, (round + index) % 2 === 0 ? 'at-once' : 'after-reply')));
    }
    expect(gateway.child.exitCode).toBeNull();
    expect(gateway.stderr()).not.toMatch(/ECONNRESET|Unhandled/);
    const health = await fetch(`${gateway.url}/healthz`);
    expect(health.status).toBe(200);
    const socket = new WebSocket(`${gateway.url.replace('http', 'ws')}/ws/chat`);
    await new Promise<void>((resolve, reject) => {
      socket.once('open', () => resolve());
      socket.once('error', reject);
    });
    socket.close();
  }, 120_000);
});
