import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  NONCE_HEADER,
  NonceCache,
  SIGNATURE_HEADER,
  SignatureError,
  TIMESTAMP_HEADER,
  computeSignature,
  sha256Hex,
  signRequest,
  verifyRequest,
} from './signing.js';

const secret = 'test-secret-0123456789';
const nonce = 'a'.repeat(32);

function verify(headers: Record<string, string>, overrides: Partial<{ method: string; path: string; body: string; secret: string; nowMs: number; cache: NonceCache }> = {}) {
  verifyRequest({
    secret: overrides.secret ?? secret,
    method: overrides.method ?? 'POST',
    path: overrides.path ?? '/v1/chat',
    body: overrides.body ?? '{"message":"hi"}',
    header: (name) => headers[name],
    nonceCache: overrides.cache ?? new NonceCache(),
    nowMs: overrides.nowMs ?? 1_000_000_000_000,
  });
}

function reason(run: () => void): string | undefined {
  try {
    run();
    return undefined;
  } catch (error) {
    return error instanceof SignatureError ? error.reason : `unexpected: ${String(error)}`;
  }
}

describe('request signing', () => {
  it('matches the known answer from DESIGN.md', () => {
    expect(computeSignature('s', 'GET', '/v1/health', '1', 'ab', '')).toBe(
      'e5193d6a66364386db85165867ba8380ac2e6b18a6fd9c76275463e59772d8f1',
    );
  });

  it('hashes an empty body as the SHA-256 of nothing', () => {
    expect(sha256Hex(undefined)).toBe('e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855');
    expect(sha256Hex('')).toBe(sha256Hex(new Uint8Array()));
  });

  it('accepts a request it signed', () => {
    const headers = signRequest({ secret, method: 'POST', path: '/v1/chat', body: '{"message":"hi"}', timestamp: 1_000_000_000, nonce });
    expect(reason(() => verify(headers))).toBeUndefined();
  });

  it('rejects a change to any signed field', () => {
    const headers = signRequest({ secret, method: 'POST', path: '/v1/chat', body: '{"message":"hi"}', timestamp: 1_000_000_000, nonce });
    expect(reason(() => verify(headers, { method: 'PUT' }))).toBe('mismatch');
    expect(reason(() => verify(headers, { path: '/v1/chat?x=1' }))).toBe('mismatch');
    expect(reason(() => verify(headers, { body: '{"message":"hI"}' }))).toBe('mismatch');
    expect(reason(() => verify({ ...headers, [NONCE_HEADER]: 'b'.repeat(32) }))).toBe('mismatch');
    expect(reason(() => verify({ ...headers, [TIMESTAMP_HEADER]: '1000000001' }))).toBe('mismatch');
    expect(reason(() => verify(headers, { secret: 'another-secret-0123' }))).toBe('mismatch');
  });

  it('rejects missing and malformed headers', () => {
    expect(reason(() => verify({}))).toBe('missing');
    const headers = signRequest({ secret, method: 'POST', path: '/v1/chat', body: '{"message":"hi"}', timestamp: 1_000_000_000, nonce });
    expect(reason(() => verify({ ...headers, [SIGNATURE_HEADER]: 'zz' }))).toBe('malformed');
    expect(reason(() => verify({ ...headers, [NONCE_HEADER]: 'ab' }))).toBe('malformed');
    expect(reason(() => verify({ ...headers, [TIMESTAMP_HEADER]: 'yesterday' }))).toBe('malformed');
  });

  it('rejects requests outside the 60 second window, on both sides', () => {
    const headers = signRequest({ secret, method: 'POST', path: '/v1/chat', body: '{"message":"hi"}', timestamp: 1_000_000_000, nonce });
    expect(reason(() => verify(headers, { nowMs: 1_000_000_060_000 }))).toBeUndefined();
    expect(reason(() => verify(headers, { nowMs: 1_000_000_061_000 }))).toBe('expired');
    expect(reason(() => verify(headers, { nowMs: 999_999_939_000 }))).toBe('expired');
  });

  it('rejects a replayed nonce but not a fresh one', () => {
    const cache = new NonceCache();
    const first = signRequest({ secret, method: 'POST', path: '/v1/chat', body: '{"message":"hi"}', timestamp: 1_000_000_000, nonce });
    expect(reason(() => verify(first, { cache }))).toBeUndefined();
    expect(reason(() => verify(first, { cache }))).toBe('replayed');
    const second = signRequest({ secret, method: 'POST', path: '/v1/chat', body: '{"message":"hi"}', timestamp: 1_000_000_000 });
    expect(reason(() => verify(second, { cache }))).toBeUndefined();
  });

  it('does not remember nonces of forged requests', () => {
    const cache = new NonceCache();
    const forged = signRequest({ secret: 'wrong-secret-000000', method: 'POST', path: '/v1/chat', body: '{"message":"hi"}', timestamp: 1_000_000_000, nonce });
    expect(reason(() => verify(forged, { cache }))).toBe('mismatch');
    expect(cache.size).toBe(0);
  });

  it('accepts every honestly signed request and rejects every single-byte body change (property)', () => {
    fc.assert(
      fc.property(fc.string(), fc.stringMatching(/^\/[a-z0-9/?=&]{0,40}$/), fc.integer({ min: 0, max: 255 }), (body, path, flip) => {
        const headers = signRequest({ secret, method: 'POST', path, body, timestamp: 1_000_000_000 });
        expect(reason(() => verify(headers, { path, body }))).toBeUndefined();
        const bytes = Buffer.from(body + 'x');
        bytes[bytes.length - 1] = (bytes[bytes.length - 1]! ^ (flip || 1)) & 0xff;
        expect(reason(() => verify(headers, { path, body: bytes.toString('latin1') }))).not.toBeUndefined();
      }),
      { numRuns: 200 },
    );
  });
});

describe('NonceCache', () => {
  it('forgets nonces after their time to live', () => {
    const cache = new NonceCache(1000);
    expect(cache.checkAndRemember('n1', 0)).toBe(true);
    expect(cache.checkAndRemember('n1', 500)).toBe(false);
    expect(cache.checkAndRemember('n1', 1500)).toBe(true);
  });

  it('stays within its size bound', () => {
    const cache = new NonceCache(60_000, 10);
    for (let index = 0; index < 100; index += 1) cache.checkAndRemember(`n${index}`, index);
    expect(cache.size).toBe(10);
  });
});
