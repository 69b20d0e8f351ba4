import { Hono } from 'hono';
import { describe, expect, it } from 'vitest';
import { AppError, ErrorBodySchema } from '../errors.js';
import { NonceCache, signRequest } from '../signing.js';
import { signatureMiddleware } from './signature-middleware.js';

const secret = 'middleware-secret-0123456789';
const nowMs = 1_700_000_000_000;

function buildApp(options: { maxBodyBytes?: number } = {}) {
  const handled: string[] = [];
  const rejections: string[] = [];
  const app = new Hono();
  app.onError((error, c) => (error instanceof AppError ? c.json(error.toBody(), error.status as 401) : c.json({ error: { code: 'internal', message: String(error) } }, 500)));
  app.use(
    '*',
    signatureMiddleware({
      secret,
      nonceCache: new NonceCache(),
      now: () => nowMs,
      onReject: (reason, path) => rejections.push(`${reason} ${path}`),
      ...options,
    }),
  );
  app.post('/v1/echo', async (c) => {
    handled.push(c.req.path);
    return c.json({ received: await c.req.json() });
  });
  app.get('/v1/health', (c) => {
    handled.push(c.req.path);
    return c.json({ ok: true });
  });
  return { app, handled, rejections };
}

function signed(method: string, path: string, body?: string, overrides: { secret?: string; timestamp?: number } = {}) {
  return signRequest({ secret: overrides.secret ?? secret, method, path, body, timestamp: overrides.timestamp ?? nowMs / 1000 });
}

async function expectUnauthorized(response: Response) {
  expect(response.status).toBe(401);
  const body = ErrorBodySchema.parse(await response.json());
  expect(body.error.code).toBe('bad_signature');
}

describe('signatureMiddleware', () => {
  it('passes a signed request through with its body intact', async () => {
    const { app, handled } = buildApp();
    const body = '{"message":"héllo"}';
    const response = await app.request('/v1/echo?x=1', { method: 'POST', body, headers: { ...signed('POST', '/v1/echo?x=1', body), 'content-type': 'application/json' } });
    expect(response.status).toBe(200);
    expect(await response.json()).toEqual({ received: { message: 'héllo' } });
    expect(handled).toEqual(['/v1/echo']);
  });

  it('rejects unsigned, tampered, expired, replayed and wrongly keyed requests with 401 before the handler runs', async () => {
    const { app, handled, rejections } = buildApp();
    const body = '{"message":"hi"}';
    await expectUnauthorized(await app.request('/v1/echo', { method: 'POST', body }));
    await expectUnauthorized(await app.request('/v1/echo', { method: 'POST', body: '{"message":"HI"}', headers: signed('POST', '/v1/echo', body) }));
    await expectUnauthorized(await app.request('/v1/echo?admin=1', { method: 'POST', body, headers: signed('POST', '/v1/echo', body) }));
    await expectUnauthorized(await app.request('/v1/echo', { method: 'POST', body, headers: signed('POST', '/v1/echo', body, { timestamp: nowMs / 1000 - 120 }) }));
    await expectUnauthorized(await app.request('/v1/echo', { method: 'POST', body, headers: signed('POST', '/v1/echo', body, { secret: 'not-the-right-secret-000' }) }));
    const once = signed('POST', '/v1/echo', body);
    expect((await app.request('/v1/echo', { method: 'POST', body, headers: once })).status).toBe(200);
    await expectUnauthorized(await app.request('/v1/echo', { method: 'POST', body, headers: once }));
    expect(handled).toEqual(['/v1/echo']);
    expect(rejections).toEqual(['missing /v1/echo', 'mismatch /v1/echo', 'mismatch /v1/echo', 'expired /v1/echo', 'mismatch /v1/echo', 'replayed /v1/echo']);
  });

  it('does not depend on the Host header, which tunnels rewrite', async () => {
    const { app } = buildApp();
    const headers = signed('GET', '/v1/health');
    const response = await app.request('https://abc123.ngrok-free.app/v1/health', { headers: { ...headers, host: 'abc123.ngrok-free.app', 'x-forwarded-host': 'abc123.ngrok-free.app' } });
    expect(response.status).toBe(200);
  });

  it('rejects oversized bodies with 413, with and without Content-Length', async () => {
    const { app, handled } = buildApp({ maxBodyBytes: 64 });
    const body = JSON.stringify({ message: 'x'.repeat(200) });
    const declared = await app.request('/v1/echo', { method: 'POST', body, headers: { ...signed('POST', '/v1/echo', body), 'content-length': String(body.length) } });
    expect(declared.status).toBe(413);
    const stream = new ReadableStream<Uint8Array>({
      start(controller) {
        for (let index = 0; index < 10; index += 1) controller.enqueue(new TextEncoder().encode('x'.repeat(20)));
        controller.close();
      },
    });
    const chunked = await app.request('/v1/echo', { method: 'POST', body: stream, headers: signed('POST', '/v1/echo', 'x'.repeat(200)), duplex: 'half' } as RequestInit);
    expect(chunked.status).toBe(413);
    expect(ErrorBodySchema.parse(await chunked.json()).error.code).toBe('payload_too_large');
    expect(handled).toEqual([]);
  });

  it('never passes the secret to its reject hook or the response', async () => {
    const { app, rejections } = buildApp();
    const response = await app.request('/v1/health', { headers: signed('GET', '/v1/health', undefined, { secret: 'wrong-secret-1234567890' }) });
    const text = await response.text();
    expect(text).not.toContain(secret);
    expect(rejections.join(' ')).not.toContain(secret);
  });
});
