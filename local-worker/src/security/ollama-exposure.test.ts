import { createServer } from 'node:net';
import type { AddressInfo, Server } from 'node:net';
import { networkInterfaces } from 'node:os';
import { afterEach, describe, expect, it } from 'vitest';
import { OllamaExposedError, checkOllamaExposure, enforceOllamaPrivacy, isLoopbackHost } from './ollama-exposure.js';

const servers: Server[] = [];
afterEach(async () => {
  await Promise.all(servers.splice(0).map((server) => new Promise((resolve) => server.close(resolve))));
});

async function listen(host: string): Promise<number> {
  const server = createServer((socket) => socket.end());
  servers.push(server);
  await new Promise<void>((resolve) => server.listen(0, host, resolve));
  return (server.address() as AddressInfo).port;
}

const hasExternalAddress = Object.values(networkInterfaces())
  .flat()
  .some((entry) => entry && !entry.internal && entry.family === 'IPv4');

describe('checkOllamaExposure', () => {
  it.skipIf(!hasExternalAddress)('finds a port that listens on all interfaces', async () => {
    const port = await listen('0.0.0.0');
    const report = await checkOllamaExposure({ ollamaHost: `http://127.0.0.1:${port}` });
    expect(report.hostIsLoopback).toBe(true);
    expect(report.reachableOn.length).toBeGreaterThan(0);
    const logs: string[] = [];
    expect(() => enforceOllamaPrivacy(report, { allowPublic: false, log: (level, message) => logs.push(`${level} ${message}`) })).toThrow(OllamaExposedError);
    expect(logs[0]).toMatch(/^error Ollama's port answers on/);
    expect(() => enforceOllamaPrivacy(report, { allowPublic: true, log: (level, message) => logs.push(`${level} ${message}`) })).not.toThrow();
    expect(logs[1]).toMatch(/^warn !!! .*ALLOW_PUBLIC_OLLAMA=true/);
  });

  it.skipIf(!hasExternalAddress)('passes a port bound to loopback only', async () => {
    const port = await listen('127.0.0.1');
    const report = await checkOllamaExposure({ ollamaHost: `http://127.0.0.1:${port}` });
    expect(report.checked.length).toBeGreaterThan(0);
    expect(report.reachableOn).toEqual([]);
    const logs: string[] = [];
    enforceOllamaPrivacy(report, { allowPublic: false, log: (level, message) => logs.push(message) });
    expect(logs).toEqual([]);
  });

  it('probes the addresses it is given and warns about a non-loopback OLLAMA_HOST', async () => {
    const port = await listen('127.0.0.1');
    const report = await checkOllamaExposure({
      ollamaHost: `http://192.168.1.20:${port}`,
      interfaces: () => ({ test0: [{ address: '127.0.0.1', netmask: '255.0.0.0', family: 'IPv4', mac: '00:00:00:00:00:00', internal: false, cidr: null }] }),
    });
    expect(report).toEqual({ hostIsLoopback: false, port, checked: [], reachableOn: [] });
    const logs: string[] = [];
    enforceOllamaPrivacy(report, { allowPublic: false, log: (level, message) => logs.push(`${level} ${message}`) });
    expect(logs).toHaveLength(1);
    expect(logs[0]).toMatch(/^warn OLLAMA_HOST is not a loopback address/);
  });
});

describe('isLoopbackHost', () => {
  it.each([
    ['127.0.0.1', true],
    ['127.8.9.10', true],
    ['localhost', true],
    ['[::1]', true],
    ['::ffff:127.0.0.1', true],
    ['0.0.0.0', false],
    ['192.168.1.5', false],
    ['ollama.example.com', false],
  ])('%s → %s', (host, expected) => {
    expect(isLoopbackHost(host)).toBe(expected);
  });
});
