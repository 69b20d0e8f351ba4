import { createServer, request as httpRequest, ServerResponse, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { getRequestListener } from '@hono/node-server';
import { Hono } from 'hono';
import { afterEach, describe, expect, it } from 'vitest';
import { EdgeServerResponse, setResponseHeaders, type HeaderList } from './response-headers.js';

const DEFAULTS: HeaderList = [
  ['content-security-policy', "default-src 'self'"],
  ['x-frame-options', 'DENY'],
];

/** An app whose one middleware sets DEFAULTS and a per-request header, as the request context does. */
function app(): Hono {
  const routes = new Hono();
  routes.use(async (c, next) => {
    setResponseHeaders(c, DEFAULTS);
    setResponseHeaders(c, [['x-request-id', 'req-1']]);
    await next();
  });
  routes.get('/json', (c) => c.json({ ok: true }));
  routes.get('/override', (c) => {
    c.header('Content-Security-Policy', "default-src 'none'");
    return c.json({ ok: true });
  });
  routes.get('/error', () => {
    throw new Error('boom');
  });
  routes.onError((_error, c) => c.json({ error: { code: 'internal', message: 'x' } }, 500));
  const outgoing = (c: { env: unknown }) => (c.env as { outgoing: ServerResponse }).outgoing;
  // Routes that answer on the Node response themselves, as the chat streams do.
  routes.get('/node-write-head', (c) => {
    outgoing(c).writeHead(200, 'Fine', { 'Content-Type': 'text/plain', 'X-Frame-Options': 'SAMEORIGIN' }).end('direct');
    return new Response(null, { headers: { 'x-hono-already-sent': '1' } });
  });
  routes.get('/node-implicit', (c) => {
    outgoing(c).setHeader('x-frame-options', 'SAMEORIGIN');
    outgoing(c).end('implicit');
    return new Response(null, { headers: { 'x-hono-already-sent': '1' } });
  });
  routes.get('/node-no-reason', (c) => {
    outgoing(c).writeHead(200, undefined, { 'Content-Type': 'text/plain', 'X-Frame-Options': 'SAMEORIGIN' }).end('no reason');
    return new Response(null, { headers: { 'x-hono-already-sent': '1' } });
  });
  routes.get('/node-raw', (c) => {
    outgoing(c).writeHead(200, ['Content-Type', 'text/plain', 'X-Frame-Options', 'SAMEORIGIN']).end('raw');
    return new Response(null, { headers: { 'x-hono-already-sent': '1' } });
  });
  return routes;
}

interface Answer {
  status: number;
  body: string;
  /** Every header line as sent, lower-case name → values in order (a name sent twice has two). */
  headers: Map<string, string[]>;
}

function get(server: Server, path: string): Promise<Answer> {
  return new Promise((resolve, reject) => {
    const request = httpRequest({ port: (server.address() as AddressInfo).port, host: '127.0.0.1', path }, (response) => {
      let body = '';
      response.on('data', (chunk: Buffer) => (body += chunk.toString()));
      response.on('end', () => {
        const headers = new Map<string, string[]>();
        for (let index = 0; index < response.rawHeaders.length; index += 2) {
          const name = response.rawHeaders[index]!.toLowerCase();
          headers.set(name, [...(headers.get(name) ?? []), response.rawHeaders[index + 1]!]);
        }
        resolve({ status: response.statusCode ?? 0, body, headers });
      });
    });
    request.on('error', reject);
    request.end();
  });
}

describe('EdgeServerResponse and setResponseHeaders', () => {
  let server: Server | undefined;
  afterEach(async () => {
    const running = server;
    server = undefined;
    if (running) await new Promise((resolve) => running.close(resolve));
  });

  async function serve(ServerResponseClass: typeof ServerResponse): Promise<Server> {
    server = createServer({ ServerResponse: ServerResponseClass }, getRequestListener(app().fetch));
    await new Promise<void>((resolve) => server!.listen(0, '127.0.0.1', resolve));
    return server;
  }

  it.each([
    ['EdgeServerResponse', EdgeServerResponse as typeof ServerResponse],
    ['a plain ServerResponse (setHeader)', ServerResponse],
  ])('on %s: every response carries the headers once, and the route overrides one in any case and by any path', async (_name, responseClass) => {
    const running = await serve(responseClass);
    const json = await get(running, '/json');
    expect([json.status, json.body]).toEqual([200, '{"ok":true}']);
    expect(json.headers.get('content-security-policy')).toEqual(["default-src 'self'"]);
    expect(json.headers.get('x-frame-options')).toEqual(['DENY']);
    expect(json.headers.get('x-request-id')).toEqual(['req-1']);
    expect(json.headers.get('content-type')).toEqual(['application/json']);
    const error = await get(running, '/error');
    expect(error.status).toBe(500);
    expect(error.headers.get('x-frame-options')).toEqual(['DENY']);
    expect(error.headers.get('x-request-id')).toEqual(['req-1']);
    // The route's value, once, whatever the case of its name (Hono's c.header)
    const override = await get(running, '/override');
    expect(override.headers.get('content-security-policy')).toEqual(["default-src 'none'"]);
    expect(override.headers.get('x-frame-options')).toEqual(['DENY']);
    // Routes writing to the Node response: writeHead with a reason and mixed-case names, setHeader then
    // end() without writeHead, and raw [name, value, ...] headers
    for (const [path, body] of [
      ['/node-write-head', 'direct'],
      ['/node-implicit', 'implicit'],
      ['/node-no-reason', 'no reason'],
      ['/node-raw', 'raw'],
    ] as const) {
      const direct = await get(running, path);
      expect([path, direct.status, direct.body]).toEqual([path, 200, body]);
      expect([path, direct.headers.get('x-frame-options')]).toEqual([path, ['SAMEORIGIN']]);
      expect([path, direct.headers.get('content-security-policy')]).toEqual([path, ["default-src 'self'"]]);
      expect([path, direct.headers.get('x-request-id')]).toEqual([path, ['req-1']]);
    }
  });

  it('falls back to Hono headers under app.request()', async () => {
    const response = await app().request('/override');
    expect(response.headers.get('x-frame-options')).toBe('DENY');
    expect(response.headers.get('content-security-policy')).toBe("default-src 'none'");
    expect(response.headers.get('x-request-id')).toBe('req-1');
  });
});
