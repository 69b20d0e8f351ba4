import { Hono } from 'hono';
import { describe, expect, it } from 'vitest';
import { createErrorRenderer } from '@review-assistant/shared/edge';
import type { GatewayEnv } from './gateway-env.js';
import { requireHttps, type HttpsPolicy } from './require-https.js';
import { TrustedEdge } from './trusted-edge.js';

const cloudFront: HttpsPolicy = {
  required: true,
  forwardedProtoHeader: 'cloudfront-forwarded-proto',
  trustProxy: true,
};
const edgeSecret = 'edge-secret-0123456789abcdef';
const previousEdgeSecret = 'edge-secret-before-the-rotation';

/** `edge`: null for a gateway without an edge secret. */
function gateway(policy: HttpsPolicy, edge: TrustedEdge | null = new TrustedEdge([edgeSecret, previousEdgeSecret])) {
  const app = new Hono<GatewayEnv>();
  app.use(requireHttps(policy, edge ?? undefined));
  app.onError(createErrorRenderer<GatewayEnv>().onError);
  app.all('*', (c) => c.text('served'));
  /**
   * A request as @hono/node-server hands it over: with Node's parsed request (the socket's peer
   * address, the headers; `requestOnlyHeaders`: headers that only the WHATWG Request carries).
   */
  return (path: string, headers: Record<string, string> = {}, remoteAddress = '198.51.100.7', requestOnlyHeaders: Record<string, string> = headers) =>
    app.request(path, { headers: requestOnlyHeaders }, { incoming: { socket: { remoteAddress }, headers: lowerCaseNames(headers) } } as never);
}

function lowerCaseNames(headers: Record<string, string>): Record<string, string> {
  return Object.fromEntries(Object.entries(headers).map(([name, value]) => [name.toLowerCase(), value]));
}

describe('requireHttps', () => {
  const request = gateway(cloudFront);
  const viaEdge = { 'cloudfront-forwarded-proto': 'https', 'x-origin-verify': edgeSecret };

  it('refuses admin, API-key, metrics and heartbeat routes that did not come over HTTPS, with a JSON 403', async () => {
    for (const path of ['/admin', '/admin/api/analytics', '/api/retrieve', '/v1/chat/completions', '/ollama/api/chat', '/metrics', '/internal/workers/heartbeat']) {
      const response = await request(path, { 'cloudfront-forwarded-proto': 'http', 'x-origin-verify': edgeSecret });
      expect(response.status, path).toBe(403);
      expect(await response.json()).toMatchObject({ error: { code: 'forbidden', message: expect.stringContaining('HTTPS') } });
    }
  });

  it('serves them when the edge reports HTTPS and proves itself with the edge secret', async () => {
    expect((await request('/admin/api/analytics', viaEdge)).status).toBe(200);
    expect((await request('/api/embed', viaEdge)).status).toBe(200);
    // during a rotation, edge locations that still send the previous secret
    expect((await request('/api/embed', { ...viaEdge, 'x-origin-verify': previousEdgeSecret })).status).toBe(200);
  });

  it("reads the edge's headers from Node's parsed request, not from a WHATWG Headers built per request", async () => {
    expect((await request('/admin', viaEdge, undefined, {})).status).toBe(200);
    expect((await request('/admin', {}, undefined, viaEdge)).status).toBe(403);
  });

  it('does not believe a client that sends the forwarded-protocol header itself', async () => {
    expect((await request('/admin', { 'cloudfront-forwarded-proto': 'https' })).status).toBe(403);
    expect((await request('/admin', { 'cloudfront-forwarded-proto': 'https', 'x-origin-verify': 'a-guess-of-the-same-length-xx' })).status).toBe(403);
    // the header the edge does not use proves nothing
    expect((await request('/admin', { 'x-forwarded-proto': 'https', 'x-origin-verify': edgeSecret })).status).toBe(403);
    // not behind a proxy: the header is not read at all
    const direct = gateway({ ...cloudFront, trustProxy: false }, null);
    expect((await direct('/admin', { 'cloudfront-forwarded-proto': 'https' })).status).toBe(403);
  });

  it('reads the edge value (the last one) when a client prepended its own', async () => {
    const alb = gateway({ required: true, forwardedProtoHeader: 'x-forwarded-proto', trustProxy: true }, null);
    expect((await alb('/admin', { 'x-forwarded-proto': 'https, http' })).status).toBe(403);
    expect((await alb('/admin', { 'x-forwarded-proto': 'http, https' })).status).toBe(200);
  });

  it('exempts loopback peers (a local TLS proxy, a developer) and leaves public routes alone', async () => {
    expect((await request('/admin', {}, '127.0.0.1')).status).toBe(200);
    expect((await request('/admin', {}, '::ffff:127.0.0.1')).status).toBe(200);
    expect((await request('/admin', {}, '::1')).status).toBe(200);
    for (const path of ['/', '/intent', '/api/chat', '/api/intent', '/healthz', '/readyz', '/docs', '/administrator']) {
      expect((await request(path)).status, path).toBe(200);
    }
  });

  it('checks nothing when HTTPS is not required (local development)', async () => {
    const local = gateway({ ...cloudFront, required: false });
    expect((await local('/admin')).status).toBe(200);
  });
});
