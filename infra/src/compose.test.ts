import { readFile } from 'node:fs/promises';
import { fileURLToPath } from 'node:url';
import { parse } from 'yaml';
import { describe, expect, it } from 'vitest';

const repoRoot = fileURLToPath(new URL('../../', import.meta.url));

interface PortMapping {
  hostIp: string | undefined;
  published: string | undefined;
  target: string;
}
interface Service {
  image?: string;
  build?: unknown;
  ports?: (string | number | { host_ip?: string; published?: string | number; target: number })[];
  environment?: Record<string, string | number | boolean | null> | string[];
  healthcheck?: { test?: string | string[]; disable?: boolean };
  depends_on?: Record<string, { condition?: string }> | string[];
  networks?: string[] | Record<string, unknown>;
  deploy?: { resources?: { reservations?: { devices?: { capabilities?: string[] }[] } } };
}
interface ComposeFile {
  services: Record<string, Service>;
}

/**
 * Reads a `ports` entry in compose's short ("[ip:][host:]container[/proto]") or long syntax.
 * A short entry with a bare container port publishes on a random host port on every address.
 */
function parsePort(entry: NonNullable<Service['ports']>[number]): PortMapping {
  if (typeof entry === 'object') {
    return { hostIp: entry.host_ip, published: entry.published === undefined ? undefined : String(entry.published), target: String(entry.target) };
  }
  const withoutProtocol = String(entry).replace(/\/(tcp|udp)$/, '');
  const ipv6 = withoutProtocol.match(/^\[([^\]]+)\]:(.*)$/);
  const [hostIp, rest] = ipv6 ? [ipv6[1], ipv6[2] ?? ''] : [undefined, withoutProtocol];
  const parts = rest.split(':');
  if (parts.length === 3) return { hostIp: parts[0], published: parts[1], target: parts[2] ?? '' };
  if (parts.length === 2) return { hostIp, published: parts[0], target: parts[1] ?? '' };
  return { hostIp, published: undefined, target: parts[0] ?? '' };
}

const isLoopback = (hostIp: string | undefined) =>
  hostIp !== undefined && (hostIp.startsWith('127.') || hostIp === '::1' || hostIp === 'localhost');

function environmentOf(service: Service): Record<string, string> {
  const environment = service.environment ?? {};
  if (Array.isArray(environment)) {
    return Object.fromEntries(environment.map((line) => [line.split('=')[0] ?? '', line.slice(line.indexOf('=') + 1)]));
  }
  return Object.fromEntries(Object.entries(environment).map(([name, value]) => [name, value === null ? '' : String(value)]));
}

const networksOf = (service: Service) =>
  new Set(Array.isArray(service.networks) ? service.networks : Object.keys(service.networks ?? { default: null }));

const SECRET_NAME = /SECRET|TOKEN|KEYS?$|PASSWORD/;

describe('docker-compose.yml', async () => {
  const text = await readFile(`${repoRoot}docker-compose.yml`, 'utf8');
  const compose = parse(text) as ComposeFile;
  const services = compose.services;
  const envExample = await readFile(`${repoRoot}.env.example`, 'utf8');

  it('has the four services of the local stack', () => {
    expect(Object.keys(services).sort()).toEqual(['chroma', 'gateway', 'ollama', 'worker']);
    expect(services['ollama']?.image).toMatch(/^ollama\/ollama:/);
    expect(services['chroma']?.image).toMatch(/^chromadb\/chroma:/);
  });

  it('never publishes Ollama or Chroma on a non-loopback address', () => {
    for (const name of ['ollama', 'chroma']) {
      for (const port of (services[name]?.ports ?? []).map(parsePort)) {
        expect(isLoopback(port.hostIp), `${name} publishes ${JSON.stringify(port)}`).toBe(true);
      }
    }
  });

  it('publishes only the gateway beyond loopback, on 8080', () => {
    const publicServices = Object.entries(services)
      .filter(([, service]) => (service.ports ?? []).map(parsePort).some((port) => !isLoopback(port.hostIp)))
      .map(([name]) => name);
    expect(publicServices).toEqual(['gateway']);
    expect((services['gateway']?.ports ?? []).map(parsePort).map((port) => port.target)).toEqual(['8080']);
    expect(services['worker']?.ports).toBeUndefined();
  });

  it('keeps Ollama and Chroma off the network the gateway is on', () => {
    const gatewayNetworks = networksOf(services['gateway'] ?? {});
    for (const name of ['ollama', 'chroma']) {
      const shared = [...networksOf(services[name] ?? {})].filter((network) => gatewayNetworks.has(network));
      expect(shared, `${name} shares a network with the gateway`).toEqual([]);
    }
  });

  it('gives every service a healthcheck', () => {
    for (const [name, service] of Object.entries(services)) {
      expect(service.healthcheck?.disable, name).not.toBe(true);
      const test = service.healthcheck?.test;
      expect(Array.isArray(test) ? test.length : (test ?? '').length, `${name} healthcheck`).toBeGreaterThan(1);
      expect(Array.isArray(test) ? test[0] : 'CMD-SHELL', name).toMatch(/^CMD(-SHELL)?$/);
    }
  });

  it('starts the worker after healthy Chroma and Ollama, and the gateway after the worker', () => {
    expect(services['worker']?.depends_on).toEqual({
      chroma: { condition: 'service_healthy' },
      ollama: { condition: 'service_healthy' },
    });
    expect(services['gateway']?.depends_on).toEqual({ worker: { condition: 'service_started' } });
  });

  it('wires the worker to Ollama and Chroma by service name and the gateway to the worker', () => {
    expect(environmentOf(services['worker'] ?? {})).toMatchObject({ OLLAMA_HOST: 'http://ollama:11434', CHROMA_URL: 'http://chroma:8000' });
    expect(environmentOf(services['gateway'] ?? {})).toMatchObject({ WORKER_URLS: 'http://worker:8787', HOST: '0.0.0.0', PORT: '8080' });
  });

  it('has the worker announce the URL the gateway already knows it by, which the gateway accepts', () => {
    // Without WORKER_PUBLIC_URL the worker announced http://0.0.0.0:8787, a second (phantom) worker.
    const announced = environmentOf(services['worker'] ?? {})['WORKER_PUBLIC_URL'];
    const gateway = environmentOf(services['gateway'] ?? {});
    expect(announced).toBe('http://worker:8787');
    expect(String(gateway['WORKER_URLS']).split(',')).toContain(announced);
    expect(gateway['ALLOW_PRIVATE_WORKER_URLS']).toBe('true');
  });

  it('reserves a GPU for Ollama', () => {
    const devices = services['ollama']?.deploy?.resources?.reservations?.devices ?? [];
    expect(devices.flatMap((device) => device.capabilities ?? [])).toContain('gpu');
  });

  it('takes every secret from the environment, never a literal', () => {
    let checked = 0;
    for (const [name, service] of Object.entries(services)) {
      for (const [variable, value] of Object.entries(environmentOf(service))) {
        if (!SECRET_NAME.test(variable)) continue;
        checked += 1;
        expect(value, `${name}.${variable}`).toMatch(new RegExp(`^\\$\\{${variable}(:?[-?].*)?\\}$`));
        expect(value, `${name}.${variable} has a literal default`).not.toMatch(/:-[^}]/);
      }
    }
    expect(checked).toBeGreaterThanOrEqual(5);
    expect(services['gateway'] && environmentOf(services['gateway'])['WORKER_SHARED_SECRET']).toMatch(/^\$\{WORKER_SHARED_SECRET:\?/);
  });

  it('documents every variable it reads in .env.example', () => {
    const used = [...text.matchAll(/\$\{([A-Z0-9_]+)/g)].map((match) => match[1]);
    const documented = new Set([...envExample.matchAll(/^([A-Z0-9_]+)=/gm)].map((match) => match[1]));
    expect(used.length).toBeGreaterThan(0);
    for (const variable of new Set(used)) expect(documented.has(variable), `${variable} missing from .env.example`).toBe(true);
    expect(envExample).toMatch(/^WORKER_SHARED_SECRET=$/m);
  });
});

describe('parsePort', () => {
  it.each([
    ['127.0.0.1:11434:11434', { hostIp: '127.0.0.1', published: '11434', target: '11434' }],
    ['8080:8080', { hostIp: undefined, published: '8080', target: '8080' }],
    ['8000', { hostIp: undefined, published: undefined, target: '8000' }],
    ['[::1]:8000:8000/tcp', { hostIp: '::1', published: '8000', target: '8000' }],
    ['0.0.0.0:11434:11434', { hostIp: '0.0.0.0', published: '11434', target: '11434' }],
  ])('reads %s', (entry, expected) => {
    expect(parsePort(entry)).toEqual(expected);
  });

  it('treats a mapping without a host address as public', () => {
    expect(isLoopback(parsePort('11434:11434').hostIp)).toBe(false);
    expect(isLoopback(parsePort({ target: 11434, published: 11434 }).hostIp)).toBe(false);
    expect(isLoopback(parsePort({ target: 11434, published: 11434, host_ip: '127.0.0.1' }).hostIp)).toBe(true);
  });
});
