import { createServer } from 'node:net';
import type { AddressInfo, Server } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { OllamaExposedError, canConnect, checkOllamaExposure, enforceOllamaPrivacy, isLoopbackHost } from './ollama-exposure.js';

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

/** A public (TEST-NET-3) address on a made-up interface, so the check runs the same on every host. */
const PUBLIC_ADDRESS = '203.0.113.7';
const publicInterface = () => ({
  eth0: [{ address: PUBLIC_ADDRESS, netmask: '255.255.255.0', family: 'IPv4' as const, mac: '02:00:00:00:00:01', internal: false, cidr: `${PUBLIC_ADDRESS}/24` }],
});
/**
 * Probes the made-up address through 127.0.0.2: a real TCP connect that only a socket bound to all
 * interfaces accepts (one bound to 127.0.0.1 refuses it), which is what a public interface sees.
 */
const probeThroughSecondLoopback = (address: string, port: number, timeoutMs: number) =>
  address === PUBLIC_ADDRESS ? canConnect('127.0.0.2', port, timeoutMs) : Promise.resolve(false);

describe('checkOllamaExposure', () => {
  it('finds a port that listens on all interfaces', async () => {
    const port = await listen('0.0.0.0');
    const report = await checkOllamaExposure({ ollamaHost: `http://127.0.0.1:${port}`, interfaces: publicInterface, probe: probeThroughSecondLoopback });
    expect(report).toEqual({ hostIsLoopback: true, port, checked: [PUBLIC_ADDRESS], reachableOn: [PUBLIC_ADDRESS] });
    const logs: string[] = [];
    expect(() => enforceOllamaPrivacy(report, { allowPublic: false, log: (level, message) => logs.push(`${level} ${message}`) })).toThrow(OllamaExposedError);
    expect(logs[0]).toMatch(/^error Ollama's port answers on 203\.0\.113\.7:\d+/);
    expect(() => enforceOllamaPrivacy(report, { allowPublic: true, log: (level, message) => logs.push(`${level} ${message}`) })).not.toThrow();
    expect(logs[1]).toMatch(/^warn !!! .*ALLOW_PUBLIC_OLLAMA=true/);
  });

  it('passes a port bound to loopback only', async () => {
    const port = await listen('127.0.0.1');
    const report = await checkOllamaExposure({ ollamaHost: `http://127.0.0.1:${port}`, interfaces: publicInterface, probe: probeThroughSecondLoopback });
    expect(report).toEqual({ hostIsLoopback: true, port, checked: [PUBLIC_ADDRESS], reachableOn: [] });
    const logs: string[] = [];
    enforceOllamaPrivacy(report, { allowPublic: false, log: (level, message) => logs.push(message) });
    expect(logs).toEqual([]);
  });

  it('probes with a real TCP connect: open on a listening port, closed once it stops', async () => {
    const port = await listen('127.0.0.1');
    expect(await canConnect('127.0.0.1', port, 500)).toBe(true);
    await Promise.all(servers.splice(0).map((server) => new Promise((resolve) => server.close(resolve))));
    expect(await canConnect('127.0.0.1', port, 500)).toBe(false);
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
