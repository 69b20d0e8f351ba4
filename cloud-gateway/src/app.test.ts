import { Validator } from '@seriousme/openapi-schema-validator';
import type { Hono } from 'hono';
import type { z } from 'zod';
import { afterEach, describe, expect, it } from 'vitest';
import { ErrorBodySchema, GatewayStatusSchema, signRequest } from '@review-assistant/shared';
import { addRoute, declareRoute, servedRoutes } from './routes/route-declaration.js';
import { createTestGateway, readSse, type TestGateway } from './testing/gateway-harness.js';
import { startWorkerDouble, type WorkerDouble } from './testing/worker-double.js';

const secret = 'app-test-secret-0123456789';
const cleanups: (() => Promise<void>)[] = [];
afterEach(async () => {
  await Promise.all(cleanups.splice(0).map((cleanup) => cleanup()));
});

function gateway(options: Parameters<typeof createTestGateway>[0] = {}): TestGateway {
  const created = createTestGateway(options);
  cleanups.push(() => created.close());
  return created;
}

async function double(options: Parameters<typeof startWorkerDouble>[0] = {}): Promise<WorkerDouble> {
  const started = await startWorkerDouble({ secret, ...options });
  cleanups.push(() => started.close());
  return started;
}

async function errorOf(response: Response) {
  return ErrorBodySchema.parse(await response.json()).error;
}

const postJson = (body: unknown, headers: Record<string, string> = {}) => ({
  method: 'POST',
  body: typeof body === 'string' ? body : JSON.stringify(body),
  headers: { 'content-type': 'application/json', ...headers },
});

describe('gateway app: probes and status', () => {
  it('is alive on /healthz and ready on /readyz only once the intent model is loaded', async () => {
    const loading = gateway({ intentReady: false });
    expect((await loading.gateway.app.request('/healthz')).status).toBe(200);
    const notReady = await loading.gateway.app.request('/readyz');
    expect(notReady.status).toBe(503);
    expect(await notReady.json()).toMatchObject({ ready: false, intentModel: { message: 'the intent model is loading' }, workers: { state: 'offline', up: 0 } });
    loading.deps.intent.ready = true;
    const ready = await loading.gateway.app.request('/readyz');
    expect(ready.status).toBe(200);
    expect(await ready.json()).toMatchObject({ ready: true, workers: { state: 'offline' } });
  });

  it('reports worker availability on /api/status for the UI badge', async () => {
    const worker = await double({ backend: 'ollama' });
    const app = gateway({ settings: { workerSharedSecret: secret }, pool: { staticUrls: [worker.url] } });
    const offline = GatewayStatusSchema.parse(await (await gateway().gateway.app.request('/api/status')).json());
    expect(offline.workers).toBe('offline');
    await app.deps.pool.probeStaticWorkers();
    const status = GatewayStatusSchema.parse(await (await app.gateway.app.request('/api/status')).json());
    expect(status).toMatchObject({ workers: 'online', workersUp: 1, backend: 'ollama', intentModel: { ready: true } });
  });
});

describe('gateway app: hygiene', () => {
  it('sets security headers with a CSP that allows no inline script, and no CORS headers by default', async () => {
    const response = await gateway().gateway.app.request('/healthz', { headers: { origin: 'https://evil.example' } });
    const csp = response.headers.get('content-security-policy') ?? '';
    expect(csp).toContain("script-src 'self'");
    expect(csp).toContain("frame-ancestors 'none'");
    expect(csp).not.toContain('unsafe-inline');
    expect(response.headers.get('x-content-type-options')).toBe('nosniff');
    expect(response.headers.get('x-frame-options')).toBe('DENY');
    expect(response.headers.get('referrer-policy')).toBeTruthy();
    expect(response.headers.get('access-control-allow-origin')).toBeNull();
  });

  it('allows only configured CORS origins', async () => {
    const app = gateway({ settings: { corsOrigins: ['https://reviews.example'] } }).gateway.app;
    const allowed = await app.request('/api/status', { headers: { origin: 'https://reviews.example' } });
    expect(allowed.headers.get('access-control-allow-origin')).toBe('https://reviews.example');
    const other = await app.request('/api/status', { headers: { origin: 'https://evil.example' } });
    expect(other.headers.get('access-control-allow-origin')).toBeNull();
  });

  it('accepts a safe X-Request-Id, replaces an unsafe one, and prints it in errors', async () => {
    const app = gateway().gateway.app;
    const kept = await app.request('/nowhere', { headers: { 'x-request-id': 'abc-123' } });
    expect(kept.headers.get('x-request-id')).toBe('abc-123');
    expect(await errorOf(kept)).toMatchObject({ code: 'not_found', requestId: 'abc-123' });
    const replaced = await app.request('/healthz', { headers: { 'x-request-id': 'bad id "quoted" <script>' } });
    expect(replaced.headers.get('x-request-id')).toMatch(/^[0-9a-f-]{36}$/);
  });

  it('answers bad input with 4xx JSON errors naming the problem, never a 500', async () => {
    const app = gateway().gateway.app;
    const cases: [RequestInit, number, string, RegExp][] = [
      [postJson('{"message":'), 400, 'invalid_json', /JSON/],
      [postJson({ message: '' }), 400, 'validation_failed', /message/],
      [postJson({ message: 42 }), 400, 'validation_failed', /message/],
      [postJson({ message: 'hi', admin: true }), 400, 'validation_failed', /admin/],
      [postJson({ message: 'hi', k: 0 }), 400, 'validation_failed', /k/],
      [postJson(['not', 'an', 'object']), 400, 'validation_failed', /object/],
      [{ method: 'POST', body: 'message=hi', headers: { 'content-type': 'application/x-www-form-urlencoded' } }, 415, 'unsupported_media_type', /JSON/],
    ];
    for (const [init, status, code, message] of cases) {
      const response = await app.request('/api/chat', init);
      expect(response.status, JSON.stringify(init.body)).toBe(status);
      const error = await errorOf(response);
      expect(error.code).toBe(code);
      expect(error.message).toMatch(message);
    }
  });

  it('rejects oversized bodies with 413 before parsing them', async () => {
    const app = gateway({ settings: { maxBodyBytes: 1000 } }).gateway.app;
    const response = await app.request('/api/chat', postJson({ message: 'x'.repeat(2000) }));
    expect(response.status).toBe(413);
    expect((await errorOf(response)).code).toBe('payload_too_large');
  });

  it('rate-limits chat per client with 429 and Retry-After', async () => {
    const app = gateway({ settings: { rateLimitBurst: 2, rateLimitPerMinute: 6, trustProxy: true } }).gateway.app;
    const send = (ip: string) => app.request('/api/chat', postJson({ message: 'hello' }, { 'x-forwarded-for': ip }));
    expect((await send('10.0.0.1')).status).toBe(200);
    expect((await send('10.0.0.1')).status).toBe(200);
    const limited = await send('10.0.0.1');
    expect(limited.status).toBe(429);
    expect(Number(limited.headers.get('retry-after'))).toBeGreaterThanOrEqual(1);
    expect((await errorOf(limited)).code).toBe('rate_limited');
    expect((await send('10.0.0.2')).status).toBe(200);
  });

  it('rate-limits the intent API per client in texts (INTENT_RATE_LIMIT_PER_MINUTE / _BURST), with Retry-After', async () => {
    const app = gateway({ settings: { intentRateLimitBurst: 3, intentRateLimitPerMinute: 6, trustProxy: true } }).gateway.app;
    const headers = { 'x-forwarded-for': '10.0.0.9' };
    expect((await app.request('/api/intent/batch', postJson({ texts: ['hello', 'hi', 'hey'] }, headers))).status).toBe(200);
    const limited = await app.request('/api/intent', postJson({ text: 'hello' }, headers));
    expect(limited.status).toBe(429);
    expect(limited.headers.get('retry-after')).toBe('10');
    expect((await errorOf(limited)).code).toBe('rate_limited');
  });
});

describe('gateway app: API-key worker API', () => {
  it('is closed with 403 when no API keys are configured', async () => {
    const response = await gateway().gateway.app.request('/api/retrieve', postJson({ query: 'pasta' }, { authorization: 'Bearer anything' }));
    expect(response.status).toBe(403);
    expect((await errorOf(response)).message).toMatch(/API_KEYS/);
  });

  it('needs a valid key and forwards signed requests with the request id', async () => {
    const worker = await double();
    const app = gateway({ settings: { apiKeys: ['key-one', 'key-two'], workerSharedSecret: secret }, pool: { staticUrls: [worker.url] } }).gateway.app;
    expect((await app.request('/api/retrieve', postJson({ query: 'pasta' }))).status).toBe(401);
    expect((await app.request('/api/retrieve', postJson({ query: 'pasta' }, { authorization: 'Bearer wrong' }))).status).toBe(401);
    const viaBearer = await app.request('/api/retrieve', postJson({ query: 'pasta', k: 2 }, { authorization: 'Bearer key-two', 'x-request-id': 'api-1' }));
    expect(viaBearer.status).toBe(200);
    expect(await viaBearer.json()).toMatchObject({ results: [{ id: 'r1', metadata: { source: 'double.csv' } }] });
    const viaHeader = await app.request('/api/generate', postJson({ prompt: 'Say hi' }, { 'x-api-key': 'key-one' }));
    expect(await viaHeader.json()).toMatchObject({ backend: 'offline', text: expect.any(String) });
    expect(worker.calls[0]).toMatchObject({ path: '/v1/retrieve', signed: true, requestId: 'api-1', body: { query: 'pasta', k: 2 } });
    const invalid = await app.request('/api/embed', postJson({ input: [] }, { 'x-api-key': 'key-one' }));
    expect(invalid.status).toBe(400);
    expect(worker.calls).toHaveLength(2);
  });

  it('answers 503 no_worker when no worker is available', async () => {
    const app = gateway({ settings: { apiKeys: ['key-one'] } }).gateway.app;
    const response = await app.request('/api/embed', postJson({ input: 'pasta' }, { 'x-api-key': 'key-one' }));
    expect(response.status).toBe(503);
    expect((await errorOf(response)).code).toBe('no_worker');
  });
});

describe('gateway app: worker heartbeats', () => {
  const heartbeat = {
    workerId: 'laptop',
    url: 'http://127.0.0.1:9999',
    backend: 'ollama',
    state: 'ready',
    models: [{ name: 'llama3.2', role: 'chat', state: 'ready' }],
    queueDepth: 0,
    active: 0,
    capacity: 2,
    version: '0.1.0',
    intervalSeconds: 5,
  };
  const path = '/internal/workers/heartbeat';
  const signed = (body: string, key = secret) => ({
    method: 'POST',
    body,
    headers: { 'content-type': 'application/json', ...signRequest({ secret: key, method: 'POST', path, body }) },
  });

  it('registers a worker from a signed heartbeat and rejects unsigned, forged and replayed ones with 401', async () => {
    const app = gateway({ settings: { workerSharedSecret: secret } });
    const body = JSON.stringify(heartbeat);
    const unsigned = await app.gateway.app.request(path, { method: 'POST', body, headers: { 'content-type': 'application/json' } });
    expect(unsigned.status).toBe(401);
    const forged = await app.gateway.app.request(path, signed(body, 'wrong-secret-0123456789'));
    expect(forged.status).toBe(401);
    expect(app.deps.pool.snapshot()).toHaveLength(0);
    const request = signed(body);
    const accepted = await app.gateway.app.request(path, request);
    expect(accepted.status).toBe(200);
    expect(await accepted.json()).toEqual({ ok: true, registered: true, removed: false });
    expect(app.deps.pool.snapshot()).toMatchObject([{ id: 'laptop', source: 'heartbeat', backend: 'ollama' }]);
    const replayed = await app.gateway.app.request(path, request);
    expect(replayed.status).toBe(401);
    expect((await errorOf(replayed)).code).toBe('bad_signature');
  });

  it('validates the heartbeat body only after the signature, and removes a worker on goodbye', async () => {
    const app = gateway({ settings: { workerSharedSecret: secret } });
    const bad = await app.gateway.app.request(path, signed(JSON.stringify({ ...heartbeat, url: 'not a url' })));
    expect(bad.status).toBe(400);
    expect((await errorOf(bad)).message).toMatch(/url/);
    await app.gateway.app.request(path, signed(JSON.stringify(heartbeat)));
    const goodbye = await app.gateway.app.request(path, signed(JSON.stringify({ ...heartbeat, goodbye: true })));
    expect(await goodbye.json()).toMatchObject({ removed: true });
    expect(app.deps.pool.snapshot()).toHaveLength(0);
  });

  it('refuses heartbeats when no secret is configured', async () => {
    const response = await gateway().gateway.app.request(path, signed(JSON.stringify(heartbeat)));
    expect(response.status).toBe(401);
    expect((await errorOf(response)).message).toMatch(/WORKER_SHARED_SECRET/);
  });
});

describe('gateway app: metrics and docs', () => {
  it('exposes Prometheus metrics by route, chat routes, intents, workers and breakers', async () => {
    const app = gateway({ settings: { metricsToken: 'metrics-token-0123456789' }, pool: { staticUrls: ['http://127.0.0.1:9'] } }).gateway.app;
    const chat = await app.request('/api/chat', postJson({ message: 'hello there' }));
    await chat.text();
    await app.request('/healthz');
    const text = await (await app.request('/metrics', { headers: { authorization: 'Bearer metrics-token-0123456789' } })).text();
    expect(text).toMatch(/gateway_http_requests_total\{method="GET",route="\/healthz",status="200"\} 1/);
    expect(text).toMatch(/gateway_chat_turns_total\{channel="sse",route="smalltalk",status="ok"\} 1/);
    expect(text).toMatch(/gateway_intents_total\{intent="greeting"\} 1/);
    expect(text).toMatch(/gateway_time_to_first_token_seconds_count\{route="smalltalk"\} 1/);
    expect(text).toMatch(/gateway_workers_up 1/);
    expect(text).toMatch(/gateway_worker_breaker_state\{worker="static-1",state="closed"\} 1/);
    expect(text).toMatch(/gateway_active_streams\{channel="sse"\} 0/);
  });

  it('serves an OpenAPI 3.1 document that passes schema validation and covers the public endpoints', async () => {
    const response = await gateway({ settings: { adminToken: 'admin-token-0123456789' } }).gateway.app.request('/openapi.json');
    const document = (await response.json()) as { paths: Record<string, unknown> };
    const validator = new Validator();
    const result = await validator.validate(document as Parameters<Validator['validate']>[0]);
    expect(result.errors ?? []).toEqual([]);
    expect(result.valid).toBe(true);
    for (const path of ['/api/chat', '/api/intent', '/api/intent/batch', '/api/embed', '/api/retrieve', '/api/generate', '/api/status', '/internal/workers/heartbeat']) {
      expect(document.paths).toHaveProperty([path]);
    }
  });

  /** Routes `app` serves that /openapi.json leaves out, and documented operations it does not serve. */
  async function coverage(app: Hono<any, any, any>) {
    const document = (await (await app.request('/openapi.json')).json()) as { paths: Record<string, Record<string, unknown>> };
    // `ALL` entries are `use` middleware and the catch-all fallbacks that answer 404, not endpoints.
    const served = new Set(app.routes.filter((route) => route.method !== 'ALL').map((route) => `${route.method.toLowerCase()} ${route.path.replace(/:(\w+)/g, '{$1}')}`));
    const documented = new Set(Object.entries(document.paths).flatMap(([path, operations]) => Object.keys(operations).map((method) => `${method} ${path}`)));
    return { served, undocumented: [...served].filter((route) => !documented.has(route)), unserved: [...documented].filter((route) => !served.has(route)) };
  }

  it('documents every route it serves (pages, streams and admin included) and serves every route it documents', async () => {
    const { served, undocumented, unserved } = await coverage(gateway({ settings: { adminToken: 'admin-token-0123456789' } }).gateway.app);
    expect({ undocumented, unserved }).toEqual({ undocumented: [], unserved: [] });
    for (const route of ['get /api/intent/model', 'get /admin/api/analytics', 'get /ws/chat', 'get /metrics', 'get /', 'get /ui/{file}', 'get /v1/models/{model}']) expect(served).toContain(route);
  });

  it('notices a route added without a declaration', async () => {
    const { app } = gateway().gateway;
    app.get('/api/undeclared', (c) => c.json({}));
    expect((await coverage(app)).undocumented).toEqual(['get /api/undeclared']);
  });

  it('builds the document on its first request, from the routes mounted by then (which cannot change afterwards, so it is kept)', async () => {
    const { app } = gateway().gateway;
    const early = declareRoute({ method: 'get', path: '/api/early', summary: 'mounted after createApp, before the first request', tags: ['operations'], responses: {} });
    addRoute(app, early, (c) => c.json({}));
    const first = await (await app.request('/openapi.json')).text();
    expect(JSON.parse(first)).toHaveProperty(['paths', '/api/early']);
    // Hono builds its matcher on the first request and refuses routes from then on.
    expect(() => addRoute(app, declareRoute({ ...early, path: '/api/late' }), (c) => c.json({}))).toThrow(/matcher is already built/);
    expect(await (await app.request('/openapi.json')).text()).toBe(first);
  });

  it('answers its JSON routes with bodies their declared 200 schemas accept', async () => {
    const worker = await double();
    const created = gateway({ settings: { adminToken: 'admin-token-0123456789', apiKeys: ['key-0123456789'], workerSharedSecret: secret }, pool: { staticUrls: [worker.url] } });
    await created.deps.pool.probeStaticWorkers();
    const app = created.gateway.app;
    // The credential each route declares it takes.
    const tokens: Record<string, string> = { adminToken: 'admin-token-0123456789', bearerKey: 'key-0123456789' };
    const bodies: Record<string, unknown> = { '/api/intent': { text: 'hello there' }, '/api/intent/batch': { texts: ['hello', 'best pizza in town?'] }, '/api/retrieve': { query: 'pizza' } };
    const checked: string[] = [];
    for (const route of servedRoutes(app)) {
      const schema = (route.declaration?.responses[200]?.content?.['application/json'] as { schema?: { safeParse?: unknown } } | undefined)?.schema;
      const body = bodies[route.path];
      if (route.path.includes(':') || (route.method === 'post' && body === undefined) || typeof schema?.safeParse !== 'function') continue;
      const scheme = Object.keys(route.declaration?.security?.[0] ?? {})[0];
      const credentials: Record<string, string> = scheme === undefined ? {} : { authorization: `Bearer ${tokens[scheme]}` };
      const init = route.method === 'post' ? postJson(body, credentials) : { headers: credentials };
      const response = await app.request(route.path, init);
      expect({ route: route.path, status: response.status }).toEqual({ route: route.path, status: 200 });
      const parsed = (schema as z.ZodType).safeParse(await response.json());
      expect({ route: route.path, issues: parsed.error?.issues ?? [] }).toEqual({ route: route.path, issues: [] });
      checked.push(`${route.method} ${route.path}`);
    }
    expect(checked).toEqual(
      expect.arrayContaining(['get /healthz', 'get /readyz', 'get /api/status', 'get /api/intent/model', 'post /api/intent', 'post /api/retrieve', 'get /v1/models', 'get /ollama/api/tags', 'get /admin/api/overview', 'get /admin/api/analytics']),
    );
  });

  it('describes each route with the schemas its handler is given (the 400 names a field the document constrains)', async () => {
    const app = gateway({ settings: { adminToken: 'admin-token-0123456789' } }).gateway.app;
    const document = (await (await app.request('/openapi.json')).json()) as {
      paths: Record<string, Record<string, { requestBody?: unknown; parameters?: unknown[] }>>;
      components: { schemas: Record<string, unknown> };
    };
    expect(JSON.stringify(document.paths['/api/chat']?.post?.requestBody)).toContain('"$ref":"#/components/schemas/ChatRequest"');
    expect(JSON.stringify(document.components.schemas.ChatRequest)).toContain('"maxLength":4000');
    const refused = await app.request('/api/chat', postJson({ message: 'x'.repeat(4001) }));
    expect(refused.status).toBe(400);
    expect((await errorOf(refused)).message).toMatch(/^message: /);
    expect(document.paths['/admin/api/analytics']?.get?.parameters).toEqual(expect.arrayContaining([expect.objectContaining({ in: 'query', name: 'from' })]));
  });

  it('routes with Hono\'s RegExpRouter: no route pair makes SmartRouter fall back to the slower TrieRouter', async () => {
    const app = gateway().gateway.app;
    // SmartRouter picks its router on the first match
    expect((await app.request('/healthz')).status).toBe(200);
    expect(app.router.name).toBe('SmartRouter + RegExpRouter');
  });

  it('serves Swagger UI from local files with an external initializer (no inline script, no CDN)', async () => {
    const app = gateway().gateway.app;
    const page = await (await app.request('/docs')).text();
    expect(page).not.toMatch(/<script>(?!<)/);
    expect(page).not.toMatch(/https?:\/\//);
    const scripts = [...page.matchAll(/src="([^"]+)"/g)].map((match) => match[1]!);
    expect(scripts).toEqual(['/docs/assets/swagger-ui-bundle.js', '/docs/assets/init.js']);
    for (const asset of [...scripts, '/docs/assets/swagger-ui.css']) {
      const response = await app.request(asset);
      expect(response.status, asset).toBe(200);
      expect((await response.arrayBuffer()).byteLength).toBeGreaterThan(50);
    }
    expect(await (await app.request('/docs/assets/init.js')).text()).toContain("url: '/openapi.json'");
    expect((await app.request('/docs/assets/..%2Fpackage.json')).status).toBe(404);
  });
});

describe('gateway app: information disclosure', () => {
  const leaks = /127\.0\.0\.1|ECONNREFUSED|connect |acme-private-models|123456789012|AccessDenied/;

  it('keeps the intent loader\'s own words (bucket, account id) out of /readyz, /api/status and /api/intent/model', async () => {
    const created = gateway({ intentReady: false });
    created.deps.intent.status = () => ({
      ready: false,
      version: null,
      message: 'intent model from s3://acme-private-models/intent.bin.gz not loaded: AccessDenied: arn:aws:iam::123456789012:role/gw',
    });
    for (const path of ['/readyz', '/api/status', '/api/intent/model']) {
      const text = await (await created.gateway.app.request(path)).text();
      expect({ path, text }).toEqual({ path, text: expect.not.stringMatching(leaks) });
      expect(text).toContain('could not be loaded');
    }
  });

  it('answers worker API and chat failures with the code\'s public text, never the network error (host, port, errno)', async () => {
    const created = gateway({ settings: { apiKeys: ['a-long-enough-api-key-0001'], workerSharedSecret: secret }, pool: { staticUrls: ['http://127.0.0.1:9'] } });
    const app = created.gateway.app;
    const api = await app.request('/api/retrieve', postJson({ query: 'pasta' }, { authorization: 'Bearer a-long-enough-api-key-0001' }));
    expect(api.status).toBeGreaterThanOrEqual(500);
    const body = await api.text();
    expect(body).not.toMatch(leaks);
    expect(ErrorBodySchema.parse(JSON.parse(body)).error.code).toMatch(/^(worker_unavailable|no_worker)$/);
    const chat = await app.request('/api/chat', postJson({ message: 'best pasta?' }));
    const events = [];
    for await (const { data } of readSse(chat.body!)) events.push(data);
    const failure = events.find((event) => event.type === 'error');
    expect(failure).toMatchObject({ type: 'error', code: expect.stringMatching(/^(worker_unavailable|no_worker)$/) });
    expect(JSON.stringify(events)).not.toMatch(leaks);
  });
});

describe('gateway app: credentials and private endpoints', () => {
  it('serves /metrics to loopback clients, and to others only with METRICS_TOKEN (403 without one configured)', async () => {
    const open = gateway({ settings: { trustProxy: true } });
    const url = await open.listen();
    expect((await fetch(`${url}/metrics`)).status).toBe(200);
    const remote = await fetch(`${url}/metrics`, { headers: { 'x-forwarded-for': '203.0.113.5' } });
    expect(remote.status).toBe(403);
    expect((await errorOf(remote)).message).toMatch(/METRICS_TOKEN/);
    const guarded = gateway({ settings: { trustProxy: true, metricsToken: 'metrics-token-0123456789' } });
    const guardedUrl = await guarded.listen();
    const headers = (token?: string) => ({ 'x-forwarded-for': '203.0.113.5', ...(token ? { authorization: `Bearer ${token}` } : {}) });
    const missing = await fetch(`${guardedUrl}/metrics`, { headers: headers() });
    expect(missing.status).toBe(401);
    expect(missing.headers.get('www-authenticate')).toMatch(/^Bearer/);
    expect((await fetch(`${guardedUrl}/metrics`, { headers: headers('wrong-token-0123456789') })).status).toBe(401);
    const allowed = await fetch(`${guardedUrl}/metrics`, { headers: headers('metrics-token-0123456789') });
    expect(allowed.status).toBe(200);
    expect(await allowed.text()).toMatch(/gateway_http_requests_total/);
  });

  it('does not take a request a same-host proxy forwarded for a loopback client when the proxy is not trusted', async () => {
    const behindProxy = gateway({ settings: { trustProxy: false } });
    const url = await behindProxy.listen();
    expect((await fetch(`${url}/metrics`)).status).toBe(200);
    expect((await fetch(`${url}/metrics`, { headers: { 'x-forwarded-for': '203.0.113.5' } })).status).toBe(403);
    expect((await fetch(`${url}/metrics`, { headers: { forwarded: 'for=203.0.113.5' } })).status).toBe(403);
  });

  it('judges /metrics loopback by the socket peer alone, never by an address a header names', async () => {
    const edgeSecret = 'edge-secret-0123456789abcdef-random';
    const open = gateway({ settings: { trustProxy: true, edgeSecrets: [edgeSecret] } });
    const url = await open.listen();
    expect((await fetch(`${url}/metrics`)).status).toBe(200);
    // behind a trusted proxy, X-Forwarded-For naming loopback is still the proxy's (or the client's) word
    expect((await fetch(`${url}/metrics`, { headers: { 'x-forwarded-for': '127.0.0.1' } })).status).toBe(403);
    // the edge secret and a loopback viewer address, from a remote peer (app.request: no loopback socket)
    const remote = await open.gateway.app.request('/metrics', { headers: { 'x-origin-verify': edgeSecret, 'cloudfront-viewer-address': '127.0.0.1:1' } });
    expect(remote.status).toBe(403);
    expect((await fetch(`${url}/metrics`, { headers: { 'x-origin-verify': edgeSecret, 'cloudfront-viewer-address': '127.0.0.1:1' } })).status).toBe(403);
  });

  it('holds the per-key limit on the worker API routes too (one budget per key)', async () => {
    const key = 'a-long-enough-api-key-02';
    const app = gateway({ settings: { apiKeys: [key], apiKeyRateLimitPerMinute: 1, apiKeyRateLimitBurst: 2 } }).gateway.app;
    const statuses: number[] = [];
    for (let index = 0; index < 3; index++) statuses.push((await app.request('/api/retrieve', postJson({ query: 'pasta' }, { 'x-api-key': key }))).status);
    expect(statuses.slice(0, 2)).not.toContain(429);
    expect(statuses[2]).toBe(429);
  });

  it('limits failed API-key attempts per client IP: 429 with Retry-After after 10 wrong keys, other clients unaffected', async () => {
    const app = gateway({ settings: { apiKeys: ['a-long-enough-api-key-01'], trustProxy: true } }).gateway.app;
    const attempt = (ip: string, key: string) => app.request('/api/retrieve', postJson({ query: 'pasta' }, { 'x-forwarded-for': ip, 'x-api-key': key }));
    for (let index = 0; index < 10; index++) expect((await attempt('10.9.9.9', `guess-${index}-0123456789abcdef`)).status).toBe(401);
    const limited = await attempt('10.9.9.9', 'guess-10-0123456789abcdef');
    expect(limited.status).toBe(429);
    expect(Number(limited.headers.get('retry-after'))).toBeGreaterThan(0);
    expect((await errorOf(limited)).code).toBe('rate_limited');
    expect((await attempt('10.9.9.10', 'guess-0-0123456789abcdef')).status).toBe(401);
  });

  it('answers 404, not 500, for docs asset names that are inherited object keys', async () => {
    const app = gateway().gateway.app;
    for (const name of ['constructor', '__proto__', 'toString', 'hasOwnProperty', 'valueOf']) {
      const response = await app.request(`/docs/assets/${name}`);
      expect({ name, status: response.status }).toEqual({ name, status: 404 });
      expect((await errorOf(response)).code).toBe('not_found');
    }
  });
});
