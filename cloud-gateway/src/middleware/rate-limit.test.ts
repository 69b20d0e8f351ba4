import { describe, expect, it } from 'vitest';
import type { IncomingMessage } from 'node:http';
import { incomingClientIp, TokenBucketLimiter } from './rate-limit.js';

describe('TokenBucketLimiter', () => {
  it('allows a burst, then refuses with the seconds until the next token, then refills', () => {
    let now = 0;
    const limiter = new TokenBucketLimiter(6, 2, () => now); // one token every 10 s
    expect(limiter.take('a').allowed).toBe(true);
    expect(limiter.take('a').allowed).toBe(true);
    expect(limiter.take('a')).toEqual({ allowed: false, retryAfterSeconds: 10 });
    now += 4_000;
    expect(limiter.take('a')).toEqual({ allowed: false, retryAfterSeconds: 6 });
    now += 6_000;
    expect(limiter.take('a').allowed).toBe(true);
    expect(limiter.take('b').allowed).toBe(true);
  });

  it('keeps a bounded number of keys, forgetting the least recently seen', () => {
    const limiter = new TokenBucketLimiter(1, 1, () => 0, 2);
    limiter.take('a');
    limiter.take('b');
    limiter.take('c'); // evicts a
    expect(limiter.take('a').allowed).toBe(true);
    expect(limiter.take('c').allowed).toBe(false);
  });
});

describe('incomingClientIp', () => {
  const incoming = (remoteAddress: string, forwardedFor?: string) =>
    ({ headers: forwardedFor === undefined ? {} : { 'x-forwarded-for': forwardedFor }, socket: { remoteAddress } }) as unknown as IncomingMessage;

  it('keys socket peers and X-Forwarded-For addresses by IPv6 /64 and IPv4-mapped addresses as IPv4', () => {
    expect(incomingClientIp(incoming('2001:db8:7:8::1'), false)).toBe(incomingClientIp(incoming('2001:db8:7:8::2'), false));
    expect(incomingClientIp(incoming('2001:db8:7:8::1'), false)).not.toBe(incomingClientIp(incoming('2001:db8:7:9::1'), false));
    expect(incomingClientIp(incoming('::ffff:198.51.100.7'), false)).toBe('198.51.100.7');
    expect(incomingClientIp(incoming('10.0.0.1', '2001:db8:7:8::1'), true)).toBe(incomingClientIp(incoming('10.0.0.1', '203.0.113.1, 2001:db8:7:8:ffff::3'), true));
  });
});
