import { describe, expect, it } from 'vitest';
import { NgrokTunnel } from './ngrok-tunnel.js';
import type { NgrokForwardConfig, NgrokListener, NgrokModule } from './ngrok-tunnel.js';
import { TunnelError, classifyNgrokError } from './ngrok-errors.js';
import { buildTrafficPolicy } from './traffic-policy.js';
import type { TunnelEvent } from './tunnel.js';

const token = '2abcDEFfakeToken_0123456789';

/** A stand-in for `@ngrok/ngrok`: each forward() call takes the next scripted outcome. */
class FakeNgrok implements NgrokModule {
  readonly configs: NgrokForwardConfig[] = [];
  readonly closed: string[] = [];
  constructor(private readonly script: (string | Error)[]) {}

  async forward(config: NgrokForwardConfig): Promise<NgrokListener> {
    this.configs.push(config);
    const next = this.script.shift();
    if (next === undefined) throw new Error('fake ngrok: script exhausted');
    if (next instanceof Error) throw next;
    const closed = this.closed;
    return {
      url: () => next,
      close: async () => {
        closed.push(next);
      },
    };
  }

  /** Simulates the SDK's status callback of the most recent session. */
  status(value: 'closed' | 'connected'): void {
    this.configs.at(-1)?.onStatusChange?.(value);
  }
}

function networkError(): Error {
  return new Error('failed to connect session: io error: dns error: failed to lookup address information');
}

function harness(script: (string | Error)[], extra: Partial<ConstructorParameters<typeof NgrokTunnel>[0]> = {}) {
  const fake = new FakeNgrok(script);
  const delays: number[] = [];
  const events: TunnelEvent[] = [];
  const logs: string[] = [];
  const tunnel = new NgrokTunnel({
    authtoken: token,
    loadNgrok: async () => fake,
    initialDelayMs: 1000,
    maxDelayMs: 60_000,
    reconnectGraceMs: 5,
    sleep: async (ms) => {
      delays.push(ms);
    },
    log: (level, message) => logs.push(`${level}: ${message}`),
    ...extra,
  });
  tunnel.onEvent((event) => events.push(event));
  return { fake, delays, events, logs, tunnel };
}

function nextEvent(tunnel: NgrokTunnel, type: TunnelEvent['type']): Promise<TunnelEvent> {
  return new Promise((resolve) => {
    const off = tunnel.onEvent((event) => {
      if (event.type === type) {
        off();
        resolve(event);
      }
    });
  });
}

describe('NgrokTunnel', () => {
  it('retries a failing session with growing, bounded, jittered delays and announces the URL', async () => {
    const { fake, delays, events, tunnel } = harness([networkError(), networkError(), 'https://first.ngrok.app']);
    await expect(tunnel.start('http://127.0.0.1:8787')).resolves.toEqual({ publicUrl: 'https://first.ngrok.app' });
    expect(fake.configs).toHaveLength(3);
    expect(fake.configs[0]).toMatchObject({ addr: 'http://127.0.0.1:8787', authtoken: token });
    expect(delays).toHaveLength(2);
    // half jitter: attempt n waits in [d/2, d) with d = 1000 * 2^n
    expect(delays[0]).toBeGreaterThanOrEqual(500);
    expect(delays[0]).toBeLessThan(1000);
    expect(delays[1]).toBeGreaterThanOrEqual(1000);
    expect(delays[1]).toBeLessThan(2000);
    expect(events.map((event) => event.type)).toEqual(['retry', 'retry', 'url']);
    expect(tunnel.publicUrl).toBe('https://first.ngrok.app');
    await tunnel.stop();
    expect(fake.closed).toEqual(['https://first.ngrok.app']);
  });

  it('replaces a dropped session that does not come back, and re-announces the new URL', async () => {
    const { fake, delays, events, tunnel } = harness(['https://first.ngrok.app', networkError(), networkError(), 'https://second.ngrok.app']);
    await tunnel.start('http://127.0.0.1:8787');
    const announced = nextEvent(tunnel, 'url');
    fake.status('closed');
    expect(tunnel.publicUrl).toBeNull();
    expect(await announced).toEqual({ type: 'url', url: 'https://second.ngrok.app' });
    expect(fake.closed).toEqual(['https://first.ngrok.app']);
    expect(fake.configs.slice(1).every((config) => config.force_new_session === true)).toBe(true);
    expect(delays[1]!).toBeGreaterThan(delays[0]!);
    expect(events.map((event) => event.type)).toEqual(['url', 'disconnect', 'retry', 'retry', 'url']);
    expect(tunnel.publicUrl).toBe('https://second.ngrok.app');
    await tunnel.stop();
  });

  it('re-announces the URL when the SDK restores the session by itself', async () => {
    const { fake, events, tunnel } = harness(['https://first.ngrok.app'], { reconnectGraceMs: 60_000 });
    await tunnel.start('http://127.0.0.1:8787');
    fake.status('closed');
    fake.status('connected');
    expect(events).toEqual([
      { type: 'url', url: 'https://first.ngrok.app' },
      { type: 'disconnect', reason: 'ngrok session closed' },
      { type: 'url', url: 'https://first.ngrok.app' },
    ]);
    expect(fake.configs).toHaveLength(1);
    await tunnel.stop();
  });

  it('gives up at once on a bad authtoken, with a message that names the variable and hides the token', async () => {
    const badToken = Object.assign(new Error(`authentication failed: The authtoken you specified does not look like a proper ngrok tunnel authtoken.\nYour authtoken: ${token}\n\nERR_NGROK_105\n\nerror_code: ERR_NGROK_105`), { errorCode: 'ERR_NGROK_105' });
    const { fake, delays, events, logs, tunnel } = harness([badToken]);
    const failure = await tunnel.start('http://127.0.0.1:8787').catch((error: unknown) => error);
    expect(failure).toBeInstanceOf(TunnelError);
    expect((failure as TunnelError).message).toContain('NGROK_AUTHTOKEN');
    expect((failure as TunnelError).code).toBe('ERR_NGROK_105');
    expect(fake.configs).toHaveLength(1);
    expect(delays).toEqual([]);
    expect(events.map((event) => event.type)).toEqual(['fatal']);
    expect(logs.join('\n')).not.toContain(token);
  });

  it('passes the static domain and traffic policy to forward()', async () => {
    const trafficPolicy = buildTrafficPolicy({ allowCidrs: ['203.0.113.7/32'], rateLimitPerMinute: 60 });
    const { fake, tunnel } = harness(['https://my-worker.ngrok-free.app'], { domain: 'my-worker.ngrok-free.app', trafficPolicy });
    await tunnel.start('http://127.0.0.1:8787');
    expect(fake.configs[0]?.domain).toBe('my-worker.ngrok-free.app');
    expect(fake.configs[0]?.traffic_policy).toBe(trafficPolicy);
    await tunnel.stop();
  });

  it('stops retrying when stopped during a backoff wait', async () => {
    let release: () => void = () => undefined;
    const { fake, tunnel } = harness([networkError(), networkError(), 'https://never.ngrok.app'], {
      sleep: (_ms, signal) =>
        new Promise((resolve, reject) => {
          release = resolve;
          signal.addEventListener('abort', () => reject(signal.reason), { once: true });
        }),
    });
    const started = tunnel.start('http://127.0.0.1:8787').catch((error: unknown) => error);
    await new Promise((resolve) => setImmediate(resolve));
    await tunnel.stop();
    release();
    expect(await started).toBeInstanceOf(TunnelError);
    expect(fake.configs).toHaveLength(1);
  });
});

describe('classifyNgrokError', () => {
  it('tells a missing network apart from a refused token', () => {
    expect(classifyNgrokError(networkError())).toMatchObject({ code: 'network', retryable: true });
    // The message @ngrok/ngrok 1.7 really gives on this machine, which has no route to ngrok.
    expect(classifyNgrokError(new Error('failed to connect session: failed to establish tcp connection'))).toMatchObject({ code: 'network', retryable: true });
    expect(classifyNgrokError(new Error('x\n\nerror_code: ERR_NGROK_107'))).toMatchObject({ code: 'ERR_NGROK_107', retryable: false });
    expect(classifyNgrokError(new Error('x\n\nerror_code: ERR_NGROK_9999'))).toMatchObject({ code: 'ERR_NGROK_9999', retryable: true });
    expect(classifyNgrokError(new Error('x\n\nerror_code: ERR_NGROK_313'))).toMatchObject({ code: 'ERR_NGROK_313', retryable: false, message: expect.stringContaining('NGROK_DOMAIN') });
    expect(classifyNgrokError(new Error('x\n\nerror_code: ERR_NGROK_334'))).toMatchObject({ code: 'ERR_NGROK_334', retryable: true, message: expect.stringContaining('already online') });
  });
});

describe('buildTrafficPolicy', () => {
  it('allows only the listed CIDRs and rate-limits per client IP', () => {
    const policy = JSON.parse(buildTrafficPolicy({ allowCidrs: ['203.0.113.7/32', '2001:db8::/48'], rateLimitPerMinute: 120 }) ?? 'null');
    expect(policy.on_http_request[0].actions[0]).toEqual({ type: 'restrict-ips', config: { enforce: true, allow: ['203.0.113.7/32', '2001:db8::/48'] } });
    expect(policy.on_http_request[1].actions[0].config).toMatchObject({ algorithm: 'sliding_window', capacity: 120, rate: '60s', bucket_key: ['conn.client_ip'] });
  });

  it('returns nothing when there is nothing to enforce', () => {
    expect(buildTrafficPolicy({ allowCidrs: [], rateLimitPerMinute: 0 })).toBeUndefined();
  });
});
