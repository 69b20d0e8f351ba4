import { request as httpRequest, type Server } from 'node:http';
import { connect, type AddressInfo } from 'node:net';
import { serve } from '@hono/node-server';
import { Hono } from 'hono';
import { afterEach, describe, expect, it } from 'vitest';
import { z } from 'zod';
import { AppError } from '@review-assistant/shared';
import type { GatewayEnv } from './gateway-env.js';
import { readRequestBody, requestBodyLimit } from '@review-assistant/shared/edge';
import { jsonBody } from '@review-assistant/shared/edge';

const LIMIT = 64;
const ROUTE_LIMIT = 16;

function createApp(): Hono<GatewayEnv> {
  const app = new Hono<GatewayEnv>();
  app.use(requestBodyLimit(LIMIT));
  app.onError((error, c) => (error instanceof AppError ? c.json(error.toBody('test'), error.status as 413) : c.json({ error: { code: 'internal', message: String(error) } }, 500)));
  app.post('/echo', async (c) => c.text(await c.req.text()));
  app.get('/echo', (c) => c.text('get'));
  app.post('/ping', (c) => c.text('pong'));
  app.post('/small', async (c) => c.text((await readRequestBody(c, ROUTE_LIMIT)).toString('utf8')));
  // read once under the app's limit, then again under a smaller one (the second read hits the cache)
  app.post('/twice', async (c) => {
    await readRequestBody(c, LIMIT);
    return c.text((await readRequestBody(c, ROUTE_LIMIT)).toString('utf8'));
  });
  app.post('/json', jsonBody(z.object({ name: z.string() })), (c) => c.json(c.req.valid('json')));
  return app;
}

let server: Server | undefined;
afterEach(async () => {
  server?.closeAllConnections();
  await new Promise<void>((resolve) => (server ? server.close(() => resolve()) : resolve()));
  server = undefined;
});

async function listen(): Promise<number> {
  const app = createApp();
  server = await new Promise<Server>((resolve) => {
    const started = serve({ fetch: app.fetch, port: 0, hostname: '127.0.0.1' }, () => resolve(started as Server));
  });
  return (server.address() as AddressInfo).port;
}

/** One request; `chunked` sends the body without a Content-Length (Transfer-Encoding: chunked). */
function send(
  port: number,
  method: string,
  path: string,
  body: string | undefined,
  options: { chunked?: boolean; headers?: Record<string, string> } = {},
): Promise<{ status: number; text: string }> {
  return new Promise((resolve, reject) => {
    const headers: Record<string, string | number> = { ...options.headers };
    if (body !== undefined && !options.chunked) headers['content-length'] = Buffer.byteLength(body);
    const outgoing = httpRequest({ host: '127.0.0.1', port, path, method, headers }, (response) => {
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

/**
 * Sends the head of a chunked request and `chunks` chunks of `chunkBytes` each, and never finishes
 * the body. Resolves with the status line the server answers with, and whether it then closed.
 */
function unfinishedChunked(port: number, method: string, path: string, chunks: number, chunkBytes: number): Promise<{ status: number; closed: boolean }> {
  return new Promise((resolve, reject) => {
    const socket = connect(port, '127.0.0.1', () => {
      socket.write(`${method} ${path} HTTP/1.1\r\nHost: test\r\nContent-Type: application/json\r\nTransfer-Encoding: chunked\r\n\r\n`);
      for (let index = 0; index < chunks; index++) socket.write(`${chunkBytes.toString(16)}\r\n${'a'.repeat(chunkBytes)}\r\n`);
    });
    let text = '';
    let status = 0;
    socket.on('data', (chunk: Buffer) => {
      text += chunk.toString('utf8');
      status ||= Number(/^HTTP\/1\.1 (\d+)/.exec(text)?.[1] ?? 0);
    });
    socket.on('error', () => undefined);
    socket.on('close', () => (status ? resolve({ status, closed: true }) : reject(new Error(`closed without an answer: ${text}`))));
  });
}

describe('requestBodyLimit and readRequestBody', () => {
  it('passes bodies with a Content-Length up to the limit whole, and refuses a larger declared length with a 413 JSON error', async () => {
    const port = await listen();
    expect(await send(port, 'POST', '/echo', 'héllo 🍝')).toEqual({ status: 200, text: 'héllo 🍝' });
    const large = await send(port, 'POST', '/echo', 'x'.repeat(LIMIT + 1));
    expect(large.status).toBe(413);
    expect(JSON.parse(large.text)).toMatchObject({ error: { code: 'payload_too_large' } });
    expect(await send(port, 'POST', '/echo', 'y'.repeat(LIMIT))).toEqual({ status: 200, text: 'y'.repeat(LIMIT) });
  });

  it('counts chunked bodies as they arrive', async () => {
    const port = await listen();
    expect(await send(port, 'POST', '/echo', 'chunked body', { chunked: true })).toEqual({ status: 200, text: 'chunked body' });
    const large = await send(port, 'POST', '/echo', 'z'.repeat(LIMIT * 4), { chunked: true });
    expect(large.status).toBe(413);
    expect(JSON.parse(large.text)).toMatchObject({ error: { code: 'payload_too_large' } });
  });

  it('cuts off a chunked body the moment it passes the limit, without waiting for the rest, and closes the connection', async () => {
    const port = await listen();
    // 3 × 32 bytes: over the 64-byte limit, and the body never ends.
    expect(await unfinishedChunked(port, 'POST', '/echo', 3, 32)).toEqual({ status: 413, closed: true });
    // A route's own smaller limit applies the same way (16 bytes).
    expect(await unfinishedChunked(port, 'POST', '/small', 2, 10)).toEqual({ status: 413, closed: true });
  });

  it('answers a route that takes no body at once, reading nothing of a chunked body that never ends, then closes', async () => {
    const port = await listen();
    expect(await unfinishedChunked(port, 'POST', '/ping', 1, 8)).toEqual({ status: 200, closed: true });
    expect(await unfinishedChunked(port, 'POST', '/nowhere', 1, 8)).toEqual({ status: 404, closed: true });
    expect(await unfinishedChunked(port, 'GET', '/echo', 1, 8)).toEqual({ status: 200, closed: true });
  });

  it('reports a body over the limit as 413 through the JSON validator, not as malformed JSON', async () => {
    const port = await listen();
    const chunked = await send(port, 'POST', '/json', JSON.stringify({ name: 'n'.repeat(LIMIT) }), { chunked: true, headers: { 'content-type': 'application/json' } });
    expect(chunked.status).toBe(413);
    const ok = await send(port, 'POST', '/json', JSON.stringify({ name: 'pasta' }), { chunked: true, headers: { 'content-type': 'application/json' } });
    expect(ok).toEqual({ status: 200, text: JSON.stringify({ name: 'pasta' }) });
  });

  it('lets bodiless GET requests through', async () => {
    const port = await listen();
    expect(await send(port, 'GET', '/echo', undefined)).toEqual({ status: 200, text: 'get' });
  });

  it('still refuses oversized bodies under app.request() (no Node request)', async () => {
    const app = createApp();
    const response = await app.request('/echo', { method: 'POST', body: 'x'.repeat(LIMIT + 1), headers: { 'content-length': String(LIMIT + 1) } });
    expect(response.status).toBe(413);
    const small = await app.request('/small', { method: 'POST', body: 'x'.repeat(ROUTE_LIMIT + 1) });
    expect(small.status).toBe(413);
  });
});

describe('readRequestBody read twice', () => {
  it('holds the smaller limit of a second reader although the body was read before under a larger one', async () => {
    const app = createApp();
    const small = await app.request('/twice', { method: 'POST', body: 'short' });
    expect(await small.text()).toBe('short');
    const large = await app.request('/twice', { method: 'POST', body: 'x'.repeat(ROUTE_LIMIT + 10) });
    expect(large.status).toBe(413);
  });
});
