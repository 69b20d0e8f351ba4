import { Hono } from 'hono';
import { describe, expect, it } from 'vitest';
import { requestContext, type FinishedRequest, type RequestLogger } from './request-context.js';

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
