import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { getRequestListener } from '@hono/node-server';
import { Hono } from 'hono';
import pino from 'pino';
import { afterEach, describe, expect, it } from 'vitest';
import type { GatewayEnv } from '../middleware/gateway-env.js';
import { streamFrames, type Frame } from './stream-frames.js';

let server: Server | undefined;
afterEach(async () => {
  await new Promise((resolve) => server?.close(resolve) ?? resolve(undefined));
  server = undefined;
});

async function* twoFrames(): AsyncGenerator<Frame> {
  yield { text: 'data: one\n\n' };
  yield { text: 'data: two\n\n', last: true };
}

/** A Node-served app whose streamed routes set headers the ways Hono allows; records the status the middleware saw. */
async function serveStreams(): Promise<{ url: string; statuses: number[] }> {
  const statuses: number[] = [];
  const app = new Hono<GatewayEnv>();
  app.use(async (c, next) => {
    c.set('logger', pino({ level: 'silent' }));
    await next();
    statuses.push(c.res.status);
  });
  // `c.header()` before the route answers: kept by Hono until the response exists.
  app.get('/own', (c) => {
    c.header('x-route-own', 'kept');
    c.header('retry-after', '7');
    return streamFrames(c, { contentType: 'text/event-stream' }, new AbortController(), twoFrames());
  });
  // What Hono's `cors` does: headers on `c.res` before the route, one appended after it.
  app.use('/early', async (c, next) => {
    c.res.headers.set('x-early', 'before');
    await next();
    c.header('vary', 'Origin', { append: true });
  });
  app.get('/early', (c) => streamFrames(c, { contentType: 'text/event-stream' }, new AbortController(), twoFrames()));
  server = createServer(getRequestListener(app.fetch));
  await new Promise<void>((resolve) => server?.listen(0, '127.0.0.1', resolve));
  return { url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`, statuses };
}

describe('streamFrames on Node', () => {
  it('sends the headers a route set with c.header() with the stream, reports 200 to the middleware, and hides the marker', async () => {
    const { url, statuses } = await serveStreams();
    const response = await fetch(`${url}/own`);
    expect(response.status).toBe(200);
    expect(response.headers.get('x-route-own')).toBe('kept');
    expect(response.headers.get('retry-after')).toBe('7');
    expect(response.headers.get('content-type')).toBe('text/event-stream');
    expect(response.headers.get('x-hono-already-sent')).toBeNull();
    expect(await response.text()).toBe('data: one\n\ndata: two\n\n');
    expect(statuses).toEqual([200]);
  });

  it('sends headers a middleware set on c.res before and after the route (Hono merges them into the marker)', async () => {
    const { url, statuses } = await serveStreams();
    const response = await fetch(`${url}/early`);
    expect(response.status).toBe(200);
    expect(response.headers.get('x-early')).toBe('before');
    expect(response.headers.get('vary')).toBe('Origin');
    expect(response.headers.get('x-hono-already-sent')).toBeNull();
    expect(await response.text()).toBe('data: one\n\ndata: two\n\n');
    expect(statuses).toEqual([200]);
  });
});
