import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import {
  NONCE_HEADER,
  checkSignatureHeaders,
  createSignedFetch,
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

  it('gives every request its own 16-byte nonce, also across refills of the random pool', () => {
    // 1,000 requests draw from four fills of the 256-nonce pool: none may repeat or be short.
    const nonces = Array.from({ length: 1000 }, () => signRequest({ secret, method: 'POST', path: '/v1/chat', body: '' })[NONCE_HEADER]);
    for (const value of nonces) expect(value).toMatch(/^[0-9a-f]{32}$/);
    expect(new Set(nonces).size).toBe(nonces.length);
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

/**
 * Vectors computed independently of this code with OpenSSL, e.g.
 * `printf 'POST\n/v1/chat\n1700000000\n<nonce>\n<sha256 of body>' | openssl dgst -sha256 -hmac <secret>`.
 */
const vectors = [
  { secret: 's', method: 'GET', path: '/v1/health', timestamp: '1', nonce: 'ab', body: '', expected: 'e5193d6a66364386db85165867ba8380ac2e6b18a6fd9c76275463e59772d8f1' },
  {
    secret: 'test-secret-0123456789',
    method: 'POST',
    path: '/v1/chat',
    timestamp: '1700000000',
    nonce: '00112233445566778899aabbccddeeff',
    body: '{"message":"Is the biryani spicy?"}',
    expected: 'c5dcabbd61341c80d7c3a8a833fa9f4ea0947488cb2a5df7f3f7807058939100',
  },
  {
    secret: 'another secret with spaces!',
    method: 'POST',
    path: '/internal/workers/heartbeat',
    timestamp: '1763771000',
    nonce: 'ffeeddccbbaa99887766554433221100ffee',
    body: '{"workerId":"w1"}',
    expected: 'de01deb187ffe928e78bbb3f24162fca0c845bb3eabb14cd9bc860719a65abe8',
  },
  {
    secret: 'ünïcödé-secret-☕-1234',
    method: 'POST',
    path: '/v1/retrieve?collection=reviews&k=3',
    timestamp: '42',
    nonce: '0123456789abcdef0123456789abcdef',
    body: '{"query":"crème brûlée 🍮"}',
    expected: '718f5ba2e9a048115f831cf6a344e86296f0c83db35d7dc3f0d889f26f7568dd',
  },
];

describe('request signing: known answers computed with openssl', () => {
  it.each(vectors)('signs $method $path with the expected HMAC', (vector) => {
    expect(computeSignature(vector.secret, vector.method, vector.path, vector.timestamp, vector.nonce, vector.body)).toBe(vector.expected);
    expect(computeSignature(vector.secret, vector.method, vector.path, vector.timestamp, vector.nonce, Buffer.from(vector.body, 'utf8'))).toBe(vector.expected);
  });

  it('upper-cases the method before signing', () => {
    const vector = vectors[1]!;
    expect(computeSignature(vector.secret, 'post', vector.path, vector.timestamp, vector.nonce, vector.body)).toBe(vector.expected);
  });
});

describe('request signing: tampering and freshness', () => {
  const base = { secret, method: 'POST', path: '/v1/chat?stream=1', body: '{"message":"hi"}' };
  const nowMs = 1_700_000_000_000;
  const fresh = () => signRequest({ ...base, timestamp: nowMs / 1000 });
  const check = (headers: Record<string, string>, overrides: Partial<{ method: string; path: string; body: string; secret: string; nowMs: number; cache: NonceCache }> = {}) =>
    reason(() => verify(headers, { method: base.method, path: base.path, body: base.body, nowMs, ...overrides }));

  it.each([
    ['method', { method: 'GET' }],
    ['path', { path: '/v1/chat?stream=2' }],
    ['path without its query', { path: '/v1/chat' }],
    ['body', { body: '{"message":"hi" }' }],
    ['empty body', { body: '' }],
    ['secret', { secret: 'test-secret-0123456788' }],
  ] as const)('fails when the %s differs from what was signed', (_field, overrides) => {
    expect(check(fresh(), overrides)).toBe('mismatch');
  });

  it('fails when any signed header is altered', () => {
    const headers = fresh();
    const flip = (hex: string) => (hex[0] === '0' ? '1' : '0') + hex.slice(1);
    expect(check({ ...headers, [TIMESTAMP_HEADER]: String(Number(headers[TIMESTAMP_HEADER]) + 1) })).toBe('mismatch');
    expect(check({ ...headers, [NONCE_HEADER]: flip(headers[NONCE_HEADER]!) })).toBe('mismatch');
    expect(check({ ...headers, [SIGNATURE_HEADER]: flip(headers[SIGNATURE_HEADER]!) })).toBe('mismatch');
  });

  it('rejects upper-case hex and oversized nonces as malformed', () => {
    const headers = fresh();
    expect(check({ ...headers, [SIGNATURE_HEADER]: headers[SIGNATURE_HEADER]!.toUpperCase() })).toBe('malformed');
    expect(check({ ...headers, [NONCE_HEADER]: 'a'.repeat(258) })).toBe('malformed');
    expect(check({ ...headers, [TIMESTAMP_HEADER]: '-5' })).toBe('malformed');
  });

  it('rejects a correctly signed request that is too old or from too far in the future', () => {
    const old = signRequest({ ...base, timestamp: nowMs / 1000 - 61 });
    const future = signRequest({ ...base, timestamp: nowMs / 1000 + 61 });
    expect(check(old)).toBe('expired');
    expect(check(future)).toBe('expired');
    expect(check(signRequest({ ...base, timestamp: nowMs / 1000 - 59 }))).toBeUndefined();
  });

  it('rejects a replay within the window and does not let an expired entry be replayed later', () => {
    const cache = new NonceCache();
    const headers = fresh();
    expect(check(headers, { cache })).toBeUndefined();
    expect(check(headers, { cache, nowMs: nowMs + 30_000 })).toBe('replayed');
    // Once the nonce could have been forgotten, the timestamp window already rejects the copy.
    expect(check(headers, { cache, nowMs: nowMs + 130_000 })).toBe('expired');
  });

  it('checks header shape and window without the secret or the body', () => {
    const headers = fresh();
    expect(checkSignatureHeaders((name) => headers[name], { nowMs }).nonce).toBe(headers[NONCE_HEADER]);
    expect(() => checkSignatureHeaders(() => undefined, { nowMs })).toThrow(SignatureError);
  });
});

describe('request signing: properties', () => {
  const nowMs = 1_700_000_000_000;
  const methodArb = fc.constantFrom('GET', 'POST', 'PUT', 'DELETE', 'PATCH');
  const pathArb = fc.webPath().map((path) => (path.startsWith('/') ? path : `/${path}`));
  const bodyArb = fc.oneof(fc.string(), fc.uint8Array({ maxLength: 512 }).map((bytes) => Buffer.from(bytes).toString('latin1')));

  it('accepts every honestly signed request exactly once', () => {
    fc.assert(
      fc.property(methodArb, pathArb, bodyArb, fc.integer({ min: -60, max: 60 }), (method, path, body, skew) => {
        const cache = new NonceCache();
        const headers = signRequest({ secret, method, path, body, timestamp: nowMs / 1000 + skew });
        expect(reason(() => verify(headers, { method, path, body, nowMs, cache }))).toBeUndefined();
        expect(reason(() => verify(headers, { method, path, body, nowMs, cache }))).toBe('replayed');
      }),
      { numRuns: 300 },
    );
  });

  it('rejects any change of method, path, body or secret without remembering the nonce', () => {
    fc.assert(
      fc.property(
        methodArb,
        pathArb,
        bodyArb,
        fc.record({ method: fc.option(methodArb), path: fc.option(pathArb), body: fc.option(bodyArb), secret: fc.option(fc.string({ minLength: 1 })) }),
        (method, path, body, change) => {
          const tampered = {
            method: change.method ?? method,
            path: change.path ?? path,
            body: change.body ?? body,
            secret: change.secret ?? secret,
          };
          fc.pre(tampered.method !== method || tampered.path !== path || tampered.body !== body || tampered.secret !== secret);
          const cache = new NonceCache();
          const headers = signRequest({ secret, method, path, body, timestamp: nowMs / 1000 });
          expect(reason(() => verify(headers, { ...tampered, nowMs, cache }))).toBe('mismatch');
          expect(cache.size).toBe(0);
        },
      ),
      { numRuns: 300 },
    );
  });

  it('rejects every timestamp outside the window and never throws anything but SignatureError', () => {
    fc.assert(
      fc.property(fc.integer({ min: 61, max: 10_000_000 }), fc.boolean(), (offset, past) => {
        const headers = signRequest({ secret, method: 'GET', path: '/v1/health', timestamp: nowMs / 1000 + (past ? -offset : offset) });
        expect(reason(() => verify(headers, { method: 'GET', path: '/v1/health', body: '', nowMs }))).toBe('expired');
      }),
    );
    fc.assert(
      fc.property(fc.dictionary(fc.constantFrom(TIMESTAMP_HEADER, NONCE_HEADER, SIGNATURE_HEADER, 'x-other'), fc.string()), (headers) => {
        const outcome = reason(() => verify(headers, { nowMs }));
        expect(['missing', 'malformed', 'expired', 'mismatch']).toContain(outcome);
      }),
      { numRuns: 500 },
    );
  });
});

describe('createSignedFetch', () => {
  it('sends requests that the verifier accepts, with the query string signed', async () => {
    const seen: string[] = [];
    const cache = new NonceCache();
    const server = createServer((request, response) => {
      const chunks: Buffer[] = [];
      request.on('data', (chunk: Buffer) => chunks.push(chunk));
      request.on('end', () => {
        const outcome = reason(() =>
          verifyRequest({
            secret,
            method: request.method ?? '',
            path: request.url ?? '',
            body: Buffer.concat(chunks),
            header: (name) => {
              const value = request.headers[name];
              return Array.isArray(value) ? value[0] : value;
            },
            nonceCache: cache,
          }),
        );
        seen.push(outcome ?? 'ok');
        response.writeHead(outcome ? 401 : 200).end();
      });
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const { port } = server.address() as AddressInfo;
    try {
      const signedFetch = createSignedFetch(secret);
      const first = await signedFetch(`http://127.0.0.1:${port}/v1/retrieve?k=3&q=caf%C3%A9`, { method: 'POST', body: '{"query":"café"}' });
      const second = await signedFetch(`http://127.0.0.1:${port}/v1/health`);
      const wrong = await createSignedFetch('a-different-secret-123')(`http://127.0.0.1:${port}/v1/health`);
      expect([first.status, second.status, wrong.status]).toEqual([200, 200, 401]);
      expect(seen).toEqual(['ok', 'ok', 'mismatch']);
    } finally {
      await new Promise((resolve) => server.close(resolve));
    }
  });

  it('refuses bodies it cannot hash before sending', async () => {
    const signedFetch = createSignedFetch(secret, async () => new Response('unreachable'));
    await expect(signedFetch('http://127.0.0.1:1/x', { method: 'POST', body: new Blob(['x']) })).rejects.toThrow(TypeError);
  });
});
