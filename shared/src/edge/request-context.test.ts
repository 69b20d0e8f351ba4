import { createServer, request as httpRequest } from 'node:http';
import type { AddressInfo } from 'node:net';
import { Hono } from 'hono';
import { describe, expect, it } from 'vitest';
import { newRequestId, requestContext, requestIdMaker, type FinishedRequest, type RequestLogger } from './request-context.js';
import { requestHeader } from './request-header.js';

function recordingLogger(lines: Record<string, unknown>[], bindings: Record<string, unknown> = {}): RequestLogger {
  return {
    child: (more) => recordingLogger(lines, { ...bindings, ...more }),
    info: (object, message) => lines.push({ ...bindings, ...object, message }),
  };
}

describe('requestContext', () => {
  it('takes a safe X-Request-Id or makes one, returns it, and writes one line per request with the route pattern', async () => {
    const lines: Record<string, unknown>[] = [];
    const finished: FinishedRequest[] = [];
    const app = new Hono();
    app.use(requestContext({ logger: recordingLogger(lines), onFinish: (request) => finished.push(request) }));
    app.get('/items/:id', (c) => c.text(String(c.get('requestId' as never))));
    app.get('/stream', (c) => {
      c.set('logsOwnLine' as never, true as never);
      return c.text('streamed');
    });
    const kept = await app.request('/items/7', { headers: { 'x-request-id': 'req-42.a:b' } });
    expect(kept.headers.get('x-request-id')).toBe('req-42.a:b');
    expect(await kept.text()).toBe('req-42.a:b');
    const replaced = await app.request('/items/8', { headers: { 'x-request-id': 'bad id with spaces' } });
    expect(replaced.headers.get('x-request-id')).toMatch(/^[0-9a-f-]{36}$/);
    await app.request('/stream');
    expect(lines).toEqual([
      expect.objectContaining({ requestId: 'req-42.a:b', method: 'GET', route: '/items/:id', path: '/items/7', status: 200, message: 'request' }),
      expect.objectContaining({ requestId: replaced.headers.get('x-request-id'), route: '/items/:id' }),
    ]);
    expect(finished.map((request) => `${request.route} ${request.status}`)).toEqual(['/items/:id 200', '/items/:id 200', '/stream 200']);
  });
});

describe('newRequestId', () => {
  it('makes distinct ids in UUID layout that the request context accepts back from a client', () => {
    const ids = Array.from({ length: 1000 }, () => newRequestId());
    expect(new Set(ids).size).toBe(1000);
    for (const id of ids) expect(id).toMatch(/^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/);
  });

  it('does not reveal how many ids a process made: each maker counts from its own random offset', () => {
    const counters = Array.from({ length: 8 }, () => requestIdMaker()().slice(-12));
    // eight fresh makers (as eight processes): their first counters differ, and none starts at 1
    expect(new Set(counters).size).toBe(8);
    expect(counters).not.toContain('000000000001');
    const make = requestIdMaker();
    const ids = Array.from({ length: 1000 }, () => make());
    expect(new Set(ids).size).toBe(1000);
  });

  it('counts up by one in the last 12 hex digits, across the carry into the upper half and the wrap at 2^48', () => {
    for (const start of [2 ** 24 - 3, 5 * 2 ** 24 - 2, 2 ** 48 - 3]) {
      const make = requestIdMaker(start);
      const ids = Array.from({ length: 6 }, () => make());
      expect(new Set(ids.map((id) => id.slice(0, 24))).size).toBe(1);
      expect(ids.map((id) => id.slice(24))).toEqual([1, 2, 3, 4, 5, 6].map((step) => ((start + step) % 2 ** 48).toString(16).padStart(12, '0')));
    }
  });
});

describe('requestHeader', () => {
  it('reads a header from the Node request as Headers.get would (any case, repeated values joined), and from app.request()', async () => {
    const app = new Hono();
    app.get('/', (c) => c.json({ id: requestHeader(c, 'X-Request-Id') ?? null, forwarded: requestHeader(c, 'x-forwarded-for') ?? null, missing: requestHeader(c, 'x-nope') ?? null }));
    // The Node request reaches the app as `c.env.incoming`, as @hono/node-server passes it.
    const server = createServer((incoming, outgoing) => {
      void Promise.resolve(app.fetch(new Request('http://127.0.0.1/'), { incoming, outgoing })).then(async (response) => outgoing.end(await response.text()));
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    try {
      const body = await new Promise<string>((resolve, reject) => {
        const request = httpRequest({ port: (server.address() as AddressInfo).port, host: '127.0.0.1', path: '/', headers: ['host', '127.0.0.1', 'x-request-id', 'abc', 'x-forwarded-for', '1.1.1.1', 'X-Forwarded-For', '2.2.2.2'] }, (response) => {
          let text = '';
          response.on('data', (chunk: Buffer) => (text += chunk.toString()));
          response.on('end', () => resolve(text));
        });
        request.on('error', reject);
        request.end();
      });
      expect(JSON.parse(body)).toEqual({ id: 'abc', forwarded: '1.1.1.1, 2.2.2.2', missing: null });
    } finally {
      await new Promise((resolve) => server.close(resolve));
    }
    const viaRequest = await app.request('/', { headers: { 'x-request-id': 'def' } });
    expect(await viaRequest.json()).toEqual({ id: 'def', forwarded: null, missing: null });
  });
});
