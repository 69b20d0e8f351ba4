import type { AddressInfo } from 'node:net';
import { serve } from '@hono/node-server';
import type { ServerType } from '@hono/node-server';
import { Hono } from 'hono';
import { stream } from 'hono/streaming';
import { afterEach, describe, expect, it } from 'vitest';
import { AppError, NonceCache, createSignedFetch } from '@review-assistant/shared';
import { signatureMiddleware } from '@review-assistant/shared/edge';
import { createInspectorApp, startInspectorServer } from './inspector-server.js';
import type { InspectedRequest } from './traffic-recorder.js';
import { TrafficRecorder } from './traffic-recorder.js';

const secret = 'inspector-secret-0123456789abcdef';
const ngrokToken = '2xyzNgrokToken_abcdefghijklmnop';

/** A small signed worker app with the recorder mounted first, served on an ephemeral port. */
async function startWorker(recorder: TrafficRecorder) {
  const handled: string[] = [];
  const app = new Hono();
  app.use('*', recorder.middleware());
  app.onError((error, c) => (error instanceof AppError ? c.json(error.toBody(), error.status as 401) : c.json({ error: { code: 'internal', message: String(error) } }, 500)));
  app.use('*', signatureMiddleware({ secret, nonceCache: new NonceCache() }));
  app.post('/v1/chat', async (c) => {
    const request = await c.req.json<{ message: string }>();
    handled.push(request.message);
    c.header('x-request-id', c.req.header('x-request-id') ?? 'generated-id');
    c.header('content-type', 'application/x-ndjson');
    return stream(c, async (output) => {
      await output.write(`${JSON.stringify({ type: 'answer-delta', text: 'Echo: ' })}\n`);
      await output.write(`${JSON.stringify({ type: 'answer-delta', text: request.message })}\n`);
      await output.write(`${JSON.stringify({ type: 'answer-end', usage: {}, timings: {} })}\n`);
    });
  });
  const server: ServerType = await new Promise((resolve) => {
    const started = serve({ fetch: app.fetch, port: 0, hostname: '127.0.0.1' }, () => resolve(started));
  });
  const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  return { url, handled, close: () => new Promise<void>((resolve) => server.close(() => resolve())) };
}

async function settled(recorder: TrafficRecorder, count: number): Promise<InspectedRequest[]> {
  for (let attempt = 0; attempt < 200; attempt += 1) {
    const list = recorder.list();
    if (list.length >= count && list.every((entry) => entry.complete)) return list;
    await new Promise((resolve) => setTimeout(resolve, 5));
  }
  throw new Error(`recorder never held ${count} complete requests: ${JSON.stringify(recorder.list())}`);
}

const cleanups: (() => Promise<void>)[] = [];
afterEach(async () => {
  await Promise.all(cleanups.splice(0).map((cleanup) => cleanup()));
});

describe('traffic inspector', () => {
  it('records a streamed request with timings and sizes, with every secret redacted', async () => {
    const recorder = new TrafficRecorder({ secrets: [secret, ngrokToken] });
    const worker = await startWorker(recorder);
    cleanups.push(worker.close);
    const body = JSON.stringify({ message: `my token is ${ngrokToken} and the key ${secret}` });
    const response = await createSignedFetch(secret)(`${worker.url}/v1/chat?trace=${secret}`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', 'x-request-id': 'req-42', authorization: `Bearer ${secret}` },
      body,
    });
    const streamed = await response.text();
    expect(streamed).toContain(ngrokToken);

    const inspector = createInspectorApp({ recorder, workerUrl: worker.url, secret });
    await settled(recorder, 1);
    const listed = await inspector.request('http://127.0.0.1:4040/api/requests');
    const text = await listed.text();
    expect(text).not.toContain(secret);
    expect(text).not.toContain(ngrokToken);
    const [entry] = (JSON.parse(text) as { requests: InspectedRequest[] }).requests;
    expect(entry).toMatchObject({ method: 'POST', path: '/v1/chat?trace=[redacted]', status: 200, requestId: 'req-42', bytesIn: Buffer.byteLength(body), bytesOut: Buffer.byteLength(streamed), complete: true });
    expect(entry?.requestHeaders['x-signature']).toBe('[redacted]');
    expect(entry?.requestHeaders.authorization).toBe('[redacted]');
    expect(entry?.requestBody).toBe(JSON.stringify({ message: 'my token is [redacted] and the key [redacted]' }));
    expect(entry?.responseBody).toContain('"text":"Echo: "');
    expect(entry?.ttfbMs).not.toBeNull();
    expect(entry!.durationMs!).toBeGreaterThanOrEqual(entry!.ttfbMs!);
  });

  it('replays a recorded request with a fresh signature', async () => {
    const recorder = new TrafficRecorder({ secrets: [secret] });
    const worker = await startWorker(recorder);
    cleanups.push(worker.close);
    await (await createSignedFetch(secret)(`${worker.url}/v1/chat`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: '{"message":"again"}' })).text();
    const [original] = await settled(recorder, 1);
    const inspector = createInspectorApp({ recorder, workerUrl: worker.url, secret });

    const refused = await inspector.request(`http://127.0.0.1/api/requests/${original!.id}/replay`, { method: 'POST' });
    expect(refused.status).toBe(403);
    const replayed = await inspector.request(`http://127.0.0.1/api/requests/${original!.id}/replay`, { method: 'POST', headers: { 'x-inspector-action': 'replay' } });
    expect(await replayed.json()).toMatchObject({ replayOf: original!.id, status: 200 });
    const [latest] = await settled(recorder, 2);
    expect(latest).toMatchObject({ replayOf: original!.id, status: 200, path: '/v1/chat' });
    expect(worker.handled).toEqual(['again', 'again']);
  });

  it('refuses to replay a request that failed the signature check (replay would sign a stranger\'s request)', async () => {
    const recorder = new TrafficRecorder({ secrets: [secret] });
    const worker = await startWorker(recorder);
    cleanups.push(worker.close);
    // Well-formed, fresh signature headers made with the wrong secret: the body is read, the check fails.
    const forged = await createSignedFetch('not-the-worker-secret-0123456789')(`${worker.url}/v1/chat`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: '{"message":"forged"}' });
    expect(forged.status).toBe(401);
    const [original] = await settled(recorder, 1);
    const inspector = createInspectorApp({ recorder, workerUrl: worker.url, secret });
    const replayed = await inspector.request(`http://127.0.0.1/api/requests/${original!.id}/replay`, { method: 'POST', headers: { 'x-inspector-action': 'replay' } });
    expect(replayed.status).toBe(403);
    expect(await replayed.json()).toMatchObject({ error: { code: 'forbidden', message: expect.stringMatching(/signature/) } });
    expect(worker.handled).toEqual([]);
    expect(recorder.list()).toHaveLength(1);
  });

  it('records requests the signature check rejected, without reading their bodies', async () => {
    const recorder = new TrafficRecorder({ secrets: [secret] });
    const worker = await startWorker(recorder);
    cleanups.push(worker.close);
    const response = await fetch(`${worker.url}/v1/chat`, { method: 'POST', body: '{"message":"unsigned"}' });
    expect(response.status).toBe(401);
    const [entry] = await settled(recorder, 1);
    expect(entry).toMatchObject({ status: 401, requestBody: '(body not read: the request was rejected before it)' });
    expect(worker.handled).toEqual([]);
  });

  it('keeps only the most recent requests', async () => {
    const recorder = new TrafficRecorder({ capacity: 3 });
    const app = new Hono();
    app.use('*', recorder.middleware());
    app.get('/n/:n', (c) => c.text(c.req.param('n')));
    for (let index = 0; index < 5; index += 1) await app.request(`/n/${index}`);
    expect(recorder.list().map((entry) => entry.path)).toEqual(['/n/4', '/n/3', '/n/2']);
  });

  it('serves a page without inline script under a strict CSP, and only to loopback host names', async () => {
    const inspector = createInspectorApp({ recorder: new TrafficRecorder(), workerUrl: 'http://127.0.0.1:1', secret });
    const page = await inspector.request('http://127.0.0.1:4040/');
    const html = await page.text();
    expect(page.headers.get('content-security-policy')).toContain("script-src 'self'");
    expect(html).toMatch(/<script src="\/inspector.js"/);
    expect(html).not.toMatch(/<script(?![^>]*\bsrc=)[^>]*>/);
    expect(html).not.toMatch(/\sstyle=|<style/);
    expect((await inspector.request('http://127.0.0.1:4040/inspector.js')).headers.get('content-type')).toContain('javascript');
    const rebound = await inspector.request('http://evil.example:4040/api/requests', { headers: { host: 'evil.example:4040' } });
    expect(rebound.status).toBe(403);
  });

  it('refuses to listen on a non-loopback address and listens on loopback', async () => {
    await expect(startInspectorServer({ recorder: new TrafficRecorder(), workerUrl: 'http://127.0.0.1:1', secret, host: '0.0.0.0', port: 0 })).rejects.toThrow(/not a loopback address/);
    const server = await startInspectorServer({ recorder: new TrafficRecorder(), workerUrl: 'http://127.0.0.1:1', secret, port: 0 });
    cleanups.push(server.close);
    expect(server.url).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/);
    const response = await fetch(`${server.url}/api/requests`);
    expect(await response.json()).toEqual({ requests: [] });
  });
});
