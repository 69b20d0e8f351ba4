import { request as httpRequest, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { serve } from '@hono/node-server';
import { Hono } from 'hono';
import { afterEach, describe, expect, it } from 'vitest';
import { AppError } from '@review-assistant/shared';
import type { GatewayEnv } from './gateway-env.js';
import { nodeBody, nodeBodyLimit } from './node-body.js';

const LIMIT = 64;

function createApp(): Hono<GatewayEnv> {
  const app = new Hono<GatewayEnv>();
  app.use(
    nodeBodyLimit(LIMIT, () => {
      throw new AppError('payload_too_large', `request bodies are limited to ${LIMIT} bytes`);
    }),
  );
  app.onError((error, c) => (error instanceof AppError ? c.json(error.toBody('test'), error.status as 413) : c.json({ error: { code: 'internal', message: String(error) } }, 500)));
  app.post('/echo', nodeBody(LIMIT), async (c) => c.text(await c.req.text()));
  app.get('/echo', (c) => c.text('get'));
  return app;
}

let server: Server | undefined;
afterEach(async () => {
  await new Promise<void>((resolve) => (server ? server.close(() => resolve()) : resolve()));
  server = undefined;
});

async function listen(): Promise<string> {
  const app = createApp();
  server = await new Promise<Server>((resolve) => {
    const started = serve({ fetch: app.fetch, port: 0, hostname: '127.0.0.1' }, () => resolve(started as Server));
  });
  return `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
}

/** One raw request; `chunked` sends the body without a Content-Length (Transfer-Encoding: chunked). */
function send(url: string, method: string, body: string | undefined, options: { chunked?: boolean; headers?: Record<string, string> } = {}): Promise<{ status: number; text: string }> {
  return new Promise((resolve, reject) => {
    const headers: Record<string, string | number> = { ...options.headers };
    if (body !== undefined && !options.chunked) headers['content-length'] = Buffer.byteLength(body);
    const outgoing = httpRequest(`${url}/echo`, { method, headers }, (response) => {
      const chunks: Buffer[] = [];
      response.on('data', (chunk: Buffer) => chunks.push(chunk));
      response.on('end', () => resolve({ status: response.statusCode ?? 0, text: Buffer.concat(chunks).toString('utf8') }));
      response.on('error', reject);
    });
    outgoing.on('error', reject);
    if (body !== undefined && options.chunked) {
      // Two writes so Node frames the body in chunks.
      outgoing.write(body.slice(0, 1));
      outgoing.end(body.slice(1));
    } else outgoing.end(body);
  });
}

describe('nodeBodyLimit', () => {
  it('decides by the declared Content-Length on Node: small bodies pass whole, larger ones get a 413 JSON error', async () => {
    const url = await listen();
    const small = await send(url, 'POST', 'héllo 🍝');
    expect(small).toEqual({ status: 200, text: 'héllo 🍝' });
    const large = await send(url, 'POST', 'x'.repeat(LIMIT + 1));
    expect(large.status).toBe(413);
    expect(JSON.parse(large.text)).toMatchObject({ error: { code: 'payload_too_large' } });
    const exact = await send(url, 'POST', 'y'.repeat(LIMIT));
    expect(exact).toEqual({ status: 200, text: 'y'.repeat(LIMIT) });
  });

  it("falls back to Hono's bodyLimit for chunked bodies (no Content-Length): counted as they arrive", async () => {
    const url = await listen();
    const small = await send(url, 'POST', 'chunked body', { chunked: true });
    expect(small).toEqual({ status: 200, text: 'chunked body' });
    const large = await send(url, 'POST', 'z'.repeat(LIMIT * 4), { chunked: true });
    expect(large.status).toBe(413);
    expect(JSON.parse(large.text)).toMatchObject({ error: { code: 'payload_too_large' } });
  });

  it('lets bodiless GET requests through, as bodyLimit does', async () => {
    const url = await listen();
    expect(await send(url, 'GET', undefined)).toEqual({ status: 200, text: 'get' });
  });

  it('still refuses oversized bodies under app.request() (no Node request: the bodyLimit path)', async () => {
    const app = createApp();
    const response = await app.request('/echo', { method: 'POST', body: 'x'.repeat(LIMIT + 1), headers: { 'content-length': String(LIMIT + 1) } });
    expect(response.status).toBe(413);
  });
});
