import { readFile } from 'node:fs/promises';
import type { AddressInfo } from 'node:net';
import { serve } from '@hono/node-server';
import { Hono } from 'hono';
import { createSignedFetch } from '@review-assistant/shared';
import { isLoopbackHost } from '../security/ollama-exposure.js';
import { REPLAY_HEADER } from './traffic-recorder.js';
import type { TrafficRecorder } from './traffic-recorder.js';

export interface InspectorAppOptions {
  recorder: TrafficRecorder;
  /** Base URL of the local worker that replays go to, e.g. `http://127.0.0.1:8787`. */
  workerUrl: string;
  /** Secret for signing replays (they must pass the worker's signature check like any request). */
  secret: string;
  /** @default globalThis.fetch */
  fetch?: typeof fetch;
}

const CONTENT_SECURITY_POLICY = [
  "default-src 'none'",
  "script-src 'self'",
  "style-src 'self'",
  "connect-src 'self'",
  "img-src 'self'",
  "base-uri 'none'",
  "form-action 'none'",
  "frame-ancestors 'none'",
].join('; ');

// Resolved from the package root, so the compiled server (dist/inspector/) reads the same files as
// tsx does (src/inspector/): tsc copies no assets into dist.
const assetDirectory = new URL('../../src/inspector/assets/', import.meta.url);
const assets = new Map<string, Promise<string>>();
function asset(name: string): Promise<string> {
  let text = assets.get(name);
  if (!text) {
    text = readFile(new URL(name, assetDirectory), 'utf8');
    assets.set(name, text);
  }
  return text;
}

function errorJson(code: string, message: string) {
  return { error: { code, message } };
}

/**
 * The inspector's HTTP app: an HTML page (script and styles from files, strict CSP), a JSON list of
 * recent requests, and a replay action. It answers only to loopback Host names (a DNS-rebinding
 * page cannot read it), and replay needs a custom header, which cross-site pages cannot send
 * without a CORS preflight that this app never grants.
 */
export function createInspectorApp(options: InspectorAppOptions): Hono {
  const app = new Hono();
  const signedFetch = createSignedFetch(options.secret, options.fetch ?? fetch);

  app.use('*', async (c, next) => {
    const host = c.req.header('host') ?? new URL(c.req.url).host;
    const hostname = host.startsWith('[') ? host.slice(0, host.indexOf(']') + 1) : host.split(':')[0] ?? '';
    if (!isLoopbackHost(hostname)) {
      return c.json(errorJson('forbidden', 'the inspector answers only on 127.0.0.1 / localhost'), 403);
    }
    await next();
    c.header('content-security-policy', CONTENT_SECURITY_POLICY);
    c.header('x-content-type-options', 'nosniff');
    c.header('referrer-policy', 'no-referrer');
    c.header('cache-control', 'no-store');
  });

  app.get('/', async (c) => c.html(await asset('inspector.html')));
  app.get('/inspector.js', async (c) => c.body(await asset('inspector.js'), 200, { 'content-type': 'text/javascript; charset=utf-8' }));
  app.get('/inspector.css', async (c) => c.body(await asset('inspector.css'), 200, { 'content-type': 'text/css; charset=utf-8' }));

  app.get('/api/requests', (c) => c.json({ requests: options.recorder.list() }));

  app.get('/api/requests/:id', (c) => {
    const entry = options.recorder.get(Number(c.req.param('id')));
    return entry ? c.json(entry) : c.json(errorJson('not_found', `no recorded request ${c.req.param('id')}`), 404);
  });

  app.post('/api/requests/:id/replay', async (c) => {
    if (c.req.header('x-inspector-action') !== 'replay') {
      return c.json(errorJson('forbidden', 'replay needs the x-inspector-action: replay header'), 403);
    }
    const id = Number(c.req.param('id'));
    const original = options.recorder.replayData(id);
    if (!original) return c.json(errorJson('not_found', `no recorded request ${c.req.param('id')}`), 404);
    if (!original.signatureVerified) {
      return c.json(errorJson('forbidden', 'this request failed the worker\'s signature check; replay signs what it sends, so it only replays requests that were signed'), 403);
    }
    const hasBody = !['GET', 'HEAD'].includes(original.method);
    if (hasBody && original.body === null) {
      return c.json(errorJson('bad_request', 'the original body was not kept (never read or too large), so it cannot be replayed'), 400);
    }
    const headers: Record<string, string> = { [REPLAY_HEADER]: String(id) };
    if (original.contentType) headers['content-type'] = original.contentType;
    try {
      const response = await signedFetch(new URL(original.path, options.workerUrl).toString(), {
        method: original.method,
        headers,
        ...(hasBody && original.body ? { body: new Uint8Array(original.body) } : {}),
      });
      const bytes = (await response.arrayBuffer()).byteLength;
      return c.json({ replayOf: id, status: response.status, bytes });
    } catch (error) {
      return c.json(errorJson('worker_unavailable', `replay failed: ${error instanceof Error ? error.message : String(error)}`), 502);
    }
  });

  app.notFound((c) => c.json(errorJson('not_found', 'no such inspector page'), 404));
  return app;
}

export interface InspectorServer {
  url: string;
  close(): Promise<void>;
}

/** Starts the inspector on a loopback address; refuses any other bind address. */
export async function startInspectorServer(
  options: InspectorAppOptions & {
    /** @default 4040 */
    port?: number;
    /** @default 127.0.0.1 */
    host?: string;
  },
): Promise<InspectorServer> {
  const host = options.host ?? '127.0.0.1';
  if (!isLoopbackHost(host)) {
    throw new Error(`INSPECTOR_HOST=${host} is not a loopback address: the inspector shows request bodies and can replay signed requests, so it only listens on 127.0.0.1 or ::1`);
  }
  const app = createInspectorApp(options);
  return new Promise((resolve, reject) => {
    const server = serve({ fetch: app.fetch, port: options.port ?? 4040, hostname: host }, (info: AddressInfo) => {
      const shownHost = info.family === 'IPv6' ? `[${info.address}]` : info.address;
      resolve({
        url: `http://${shownHost}:${info.port}`,
        close: () => new Promise<void>((done) => server.close(() => done())),
      });
    });
    server.once('error', reject);
  });
}
