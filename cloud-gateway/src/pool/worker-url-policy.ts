import { BlockList, isIP } from 'node:net';
import { AppError } from '@review-assistant/shared';

/** Which URLs a heartbeat may announce. */
export interface WorkerUrlPolicyOptions {
  /**
   * Host patterns (`WORKER_ALLOWED_HOSTS`): `*.example.com` matches any subdomain of
   * example.com (not example.com itself); anything else matches exactly. Case-insensitive.
   * @default the ngrok domains
   */
  allowedHosts?: string[];
  /**
   * `ALLOW_PRIVATE_WORKER_URLS`: accept `http`, any host, IP literals, loopback and private
   * addresses (one machine, docker compose). Credentials, query, fragment, link-local and
   * unspecified addresses stay refused. @default false
   */
  allowPrivate?: boolean;
}

export const DEFAULT_WORKER_ALLOWED_HOSTS = ['*.ngrok-free.app', '*.ngrok-free.dev', '*.ngrok.app', '*.ngrok.dev', '*.ngrok.io'];

/**
 * Never a worker, whatever the settings: link-local (cloud metadata endpoints such as
 * 169.254.169.254 live there) and the unspecified addresses (`0.0.0.0` is where a server listens,
 * not where it is reached; connecting to it lands on this host).
 */
const neverWorkers = new BlockList();
neverWorkers.addSubnet('169.254.0.0', 16, 'ipv4');
neverWorkers.addSubnet('0.0.0.0', 8, 'ipv4');
neverWorkers.addSubnet('fe80::', 10, 'ipv6');
neverWorkers.addAddress('::', 'ipv6');

/**
 * Checks the URL a signed heartbeat announces before the gateway will ever send a request there:
 * the signature proves the sender knows the secret, not that the URL is a worker, and an
 * announced URL is one the gateway then calls with signed requests (SSRF). Returns the URL in the
 * form the pool stores; throws 400 `worker_url_rejected` naming the problem.
 */
export class WorkerUrlPolicy {
  private readonly patterns: string[];
  private readonly allowPrivate: boolean;

  constructor(options: WorkerUrlPolicyOptions = {}) {
    this.patterns = (options.allowedHosts ?? DEFAULT_WORKER_ALLOWED_HOSTS).map((pattern) => pattern.trim().toLowerCase()).filter(Boolean);
    this.allowPrivate = options.allowPrivate ?? false;
  }

  check(raw: string): string {
    let url: URL;
    try {
      url = new URL(raw);
    } catch {
      throw reject(`"${raw}" is not a URL`);
    }
    if (url.protocol !== 'https:' && !(this.allowPrivate && url.protocol === 'http:')) {
      throw reject(`worker URLs must use https (got ${url.protocol.replace(':', '')}; ALLOW_PRIVATE_WORKER_URLS=true also allows http on one machine)`);
    }
    if (url.username !== '' || url.password !== '') throw reject('worker URLs must not carry credentials');
    if (raw.includes('?') || raw.includes('#')) throw reject('worker URLs must not have a query or fragment');
    const host = url.hostname.replace(/^\[|\]$/g, '').toLowerCase();
    const family = isIP(host);
    if (family !== 0 && neverWorkers.check(host, family === 4 ? 'ipv4' : 'ipv6')) {
      throw reject(`${host} is a link-local or unspecified address, never a worker`);
    }
    if (this.allowPrivate) return normalize(url);
    if (family !== 0) throw reject(`worker URLs must name a host, not an IP address (${host})`);
    if (host === 'localhost' || host.endsWith('.localhost')) throw reject(`${host} is a loopback name`);
    if (!this.patterns.some((pattern) => matches(host, pattern))) {
      throw reject(`host ${host} is not allowed by WORKER_ALLOWED_HOSTS (${this.patterns.join(', ')})`);
    }
    return normalize(url);
  }
}

function matches(host: string, pattern: string): boolean {
  if (pattern.startsWith('*.')) return host.endsWith(pattern.slice(1)) && host.length > pattern.length - 1;
  return host === pattern;
}

/** WHATWG-normalized, no trailing slash: the form URLs are compared and stored in. */
function normalize(url: URL): string {
  return url.href.replace(/\/+$/, '');
}

function reject(message: string): AppError {
  return new AppError('worker_url_rejected', `heartbeat refused: ${message}`);
}
