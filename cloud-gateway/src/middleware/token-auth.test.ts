import { Hono } from 'hono';
import { describe, expect, it } from 'vitest';
import { createErrorRenderer } from '@review-assistant/shared/edge';
import type { GatewayEnv } from './gateway-env.js';
import { FailedAttempts, requireToken, SecretSet } from './token-auth.js';

const token = 'metrics-token-0123456789abcdef';

function createApp(now: () => number) {
  const app = new Hono<GatewayEnv>();
  const failedAttempts = new FailedAttempts(true, now);
  const secrets = new SecretSet([token, 'second-token-0123456789']);
  app.onError(createErrorRenderer<GatewayEnv>().onError);
  app.get('/secret', (c) => c.text(`ok ${requireToken(c, { secrets, failedAttempts, alternateHeader: 'x-api-key', realm: 'test', missing: 'missing token: send Authorization: Bearer <TOKEN>', invalid: 'invalid token' })}`));
  return app;
}

const from = (ip: string, headers: Record<string, string> = {}) => ({ headers: { 'x-forwarded-for': ip, ...headers } });

describe('SecretSet', () => {
  it('matches whole secrets only, by content, and names a match by a digest prefix (never the secret)', () => {
    const secrets = new SecretSet([token]);
    expect(secrets.match(token)).toMatch(/^[0-9a-f]{16}$/);
    expect(secrets.match(token)).not.toContain(token.slice(0, 6));
    for (const wrong of ['', 'short', `${token}x`, token.slice(0, -1), token.toUpperCase()]) expect(secrets.match(wrong)).toBeUndefined();
    expect(new SecretSet([]).match(token)).toBeUndefined();
  });
});

describe('requireToken', () => {
  it('accepts the Bearer token or the alternate header, and answers 401 with WWW-Authenticate otherwise', async () => {
    const app = createApp(() => 0);
    expect((await app.request('/secret', from('192.0.2.1', { authorization: `Bearer ${token}` }))).status).toBe(200);
    expect((await app.request('/secret', from('192.0.2.1', { 'x-api-key': 'second-token-0123456789' }))).status).toBe(200);
    const missing = await app.request('/secret', from('192.0.2.1'));
    expect(missing.status).toBe(401);
    expect(missing.headers.get('www-authenticate')).toBe('Bearer realm="test"');
    expect(await missing.json()).toMatchObject({ error: { code: 'unauthorized', message: expect.stringMatching(/^missing token/) } });
  });

  it('after 10 wrong tokens from one address answers 429 with Retry-After, even to the right token, until the budget refills', async () => {
    let now = 0;
    const app = createApp(() => now);
    for (let attempt = 0; attempt < 9; attempt++) {
      expect((await app.request('/secret', from('192.0.2.7', { authorization: `Bearer guess-${attempt}` }))).status).toBe(401);
    }
    const tenth = await app.request('/secret', from('192.0.2.7', { authorization: 'Bearer guess-9' }));
    expect(tenth.status).toBe(401);
    const blocked = await app.request('/secret', from('192.0.2.7', { authorization: 'Bearer guess-10' }));
    expect(blocked.status).toBe(429);
    expect(Number(blocked.headers.get('retry-after'))).toBeGreaterThan(0);
    expect(await blocked.json()).toMatchObject({ error: { code: 'rate_limited' } });
    // the right token does not tell the guesser anything while blocked
    expect((await app.request('/secret', from('192.0.2.7', { authorization: `Bearer ${token}` }))).status).toBe(429);
    // other addresses are not affected; missing tokens are not guesses
    expect((await app.request('/secret', from('192.0.2.8', { authorization: `Bearer ${token}` }))).status).toBe(200);
    now += 60_000;
    expect((await app.request('/secret', from('192.0.2.7', { authorization: `Bearer ${token}` }))).status).toBe(200);
  });
});
