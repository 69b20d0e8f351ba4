import { Socket, isIP } from 'node:net';
import { networkInterfaces } from 'node:os';
import type { NetworkInterfaceInfo } from 'node:os';

export interface OllamaExposureOptions {
  /** OLLAMA_HOST, e.g. `http://127.0.0.1:11434`. */
  ollamaHost: string;
  /** Per-address connect timeout. @default 300 */
  timeoutMs?: number;
  /** @default os.networkInterfaces */
  interfaces?: () => NodeJS.Dict<NetworkInterfaceInfo[]>;
  /** Whether something accepts a TCP connection on `address:port`. @default a TCP connect attempt */
  probe?: (address: string, port: number, timeoutMs: number) => Promise<boolean>;
}

export interface OllamaExposureReport {
  /** OLLAMA_HOST points at a loopback address (as it should). */
  hostIsLoopback: boolean;
  /** The port probed (from OLLAMA_HOST). */
  port: number;
  /** This machine's non-loopback addresses that were probed. */
  checked: string[];
  /** Those where something accepted a TCP connection on Ollama's port. */
  reachableOn: string[];
}

export class OllamaExposedError extends Error {
  override readonly name = 'OllamaExposedError';
}

export function isLoopbackHost(hostname: string): boolean {
  const host = hostname.replace(/^\[|\]$/g, '').toLowerCase();
  if (host === 'localhost' || host.endsWith('.localhost')) return true;
  if (isIP(host) === 4) return host.startsWith('127.');
  if (host === '::1' || host === '0:0:0:0:0:0:0:1') return true;
  if (host.startsWith('::ffff:')) return isLoopbackHost(host.slice('::ffff:'.length));
  return false;
}

/** Whether something accepts a TCP connection on `host:port` within `timeoutMs`. */
export function canConnect(host: string, port: number, timeoutMs: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = new Socket();
    const finish = (open: boolean) => {
      socket.destroy();
      resolve(open);
    };
    socket.setTimeout(timeoutMs, () => finish(false));
    socket.once('connect', () => finish(true));
    socket.once('error', () => finish(false));
    socket.connect({ host, port });
  });
}

/**
 * Finds out whether Ollama's port answers on any non-loopback address of this machine (Ollama has
 * no authentication, so `OLLAMA_HOST=0.0.0.0` on the Ollama side hands the GPU and the model
 * management API to the whole network). Link-local IPv6 addresses are skipped.
 */
export async function checkOllamaExposure(options: OllamaExposureOptions): Promise<OllamaExposureReport> {
  const url = new URL(options.ollamaHost);
  const port = Number(url.port || (url.protocol === 'https:' ? 443 : 80));
  const addresses = Object.values((options.interfaces ?? networkInterfaces)())
    .flatMap((entries) => entries ?? [])
    .filter((entry) => !entry.internal && !isLoopbackHost(entry.address) && !entry.address.toLowerCase().startsWith('fe80:'))
    .map((entry) => entry.address);
  const checked = [...new Set(addresses)];
  const timeoutMs = options.timeoutMs ?? 300;
  const open = await Promise.all(checked.map((address) => (options.probe ?? canConnect)(address, port, timeoutMs)));
  return {
    hostIsLoopback: isLoopbackHost(url.hostname),
    port,
    checked,
    reachableOn: checked.filter((_address, index) => open[index]),
  };
}

/**
 * Applies the policy: an exposed Ollama stops the worker unless `ALLOW_PUBLIC_OLLAMA=true`, in which
 * case it is a loud warning. A non-loopback OLLAMA_HOST is always a warning.
 */
export function enforceOllamaPrivacy(
  report: OllamaExposureReport,
  options: { allowPublic: boolean; log: (level: 'warn' | 'error', message: string) => void },
): void {
  if (!report.hostIsLoopback) {
    options.log('warn', 'OLLAMA_HOST is not a loopback address: anyone who can reach that address can use Ollama without a password. Keep Ollama on 127.0.0.1 and let the worker be the only way in.');
  }
  if (report.reachableOn.length === 0) return;
  const where = report.reachableOn.map((address) => (address.includes(':') ? `[${address}]:${report.port}` : `${address}:${report.port}`)).join(', ');
  const message = `Ollama's port answers on ${where}: Ollama has no authentication, so anyone on those networks can use the GPU and its model-management API. Bind Ollama to loopback (OLLAMA_HOST=127.0.0.1:${report.port} in Ollama's own environment) and restart it.`;
  if (options.allowPublic) {
    options.log('warn', `!!! ${message} (continuing because ALLOW_PUBLIC_OLLAMA=true)`);
    return;
  }
  options.log('error', message);
  throw new OllamaExposedError(`${message} To start anyway set ALLOW_PUBLIC_OLLAMA=true.`);
}
