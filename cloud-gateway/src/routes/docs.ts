import { readFile } from 'node:fs/promises';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { OpenAPIHono } from '@hono/zod-openapi';
import { Hono } from 'hono';
import { z } from 'zod';
import {
  APP_VERSION,
  ChatRequestSchema,
  EmbedRequestSchema,
  EmbedResponseSchema,
  ErrorBodySchema,
  GatewayStatusSchema,
  GenerateRequestSchema,
  GenerateResponseSchema,
  HeartbeatSchema,
  RetrieveRequestSchema,
  RetrieveResponseSchema,
  StreamEventSchema,
  WsServerMessageSchema,
} from '@review-assistant/shared';
import type { GatewayEnv } from '../middleware/gateway-env.js';
import { registerCompatPaths } from './compat/compat-openapi.js';

const json = (schema: z.ZodType) => ({ 'application/json': { schema } });
const errors = (...statuses: number[]) =>
  Object.fromEntries(statuses.map((status) => [status, { description: `Error (${status})`, content: json(ErrorBodySchema) }]));

/**
 * Copies what a documented sub-app registered (its routes and components) into `registry`, so a
 * route is described once, next to its handler, and the document follows the code.
 */
function includeDefinitions(registry: OpenAPIHono['openAPIRegistry'], documented: OpenAPIHono): void {
  for (const definition of documented.openAPIRegistry.definitions) {
    if (definition.type === 'route') registry.registerPath(definition.route);
    else if (definition.type === 'component') registry.registerComponent(definition.componentType, definition.name, definition.component as never);
  }
}

/**
 * Builds the OpenAPI 3.1 document from the shared zod schemas (one registry, no hand-written JSON).
 * Sub-apps written as `OpenAPIHono` (the intent API) bring their own route definitions; the plain
 * Hono routes are registered here.
 */
export function buildOpenApiDocument(documented: readonly OpenAPIHono[] = []): Record<string, unknown> {
  const docs = new OpenAPIHono();
  const registry = docs.openAPIRegistry;
  for (const subApp of documented) includeDefinitions(registry, subApp);
  registry.registerComponent('securitySchemes', 'bearerKey', { type: 'http', scheme: 'bearer', description: 'One of API_KEYS' });
  registry.registerComponent('securitySchemes', 'apiKeyHeader', { type: 'apiKey', in: 'header', name: 'X-API-Key' });
  registry.registerPath({
    method: 'post',
    path: '/api/chat',
    summary: 'One chat turn as Server-Sent Events',
    description:
      'Each event is `event: <type>` plus `data: <json>` of one StreamEvent: first `intent`, then `sources`, `answer-delta`*, `answer-end`, or an `error` (e.g. `no_worker`). Rate-limited per client IP (429 with Retry-After).',
    request: { body: { content: json(ChatRequestSchema), required: true } },
    responses: {
      200: { description: 'Event stream', content: { 'text/event-stream': { schema: StreamEventSchema } } },
      ...errors(400, 413, 415, 429),
    },
  });
  registry.registerPath({
    method: 'get',
    path: '/ws/chat',
    summary: 'Chat over WebSocket',
    description:
      'Client messages: `{type: "chat", turnId, request: ChatRequest}` starts a turn, `{type: "cancel", turnId}` aborts it (and the worker request). Server messages: `{turnId, event: StreamEvent}`, the same events as /api/chat.',
    responses: { 101: { description: 'Switching protocols', content: json(WsServerMessageSchema) } },
  });
  const forwarded: [string, z.ZodType, z.ZodType, string][] = [
    ['embed', EmbedRequestSchema, EmbedResponseSchema, 'Embed texts with the worker\'s embedding model'],
    ['retrieve', RetrieveRequestSchema, RetrieveResponseSchema, 'Top-k reviews for a query'],
    ['generate', GenerateRequestSchema, GenerateResponseSchema, 'Generate text with the worker\'s chat model'],
  ];
  for (const [name, request, response, summary] of forwarded) {
    registry.registerPath({
      method: 'post',
      path: `/api/${name}`,
      summary,
      description: 'Needs an API key; forwarded (signed) to a worker.',
      security: [{ bearerKey: [] }, { apiKeyHeader: [] }],
      request: { body: { content: json(request), required: true } },
      responses: { 200: { description: 'Worker response', content: json(response) }, ...errors(400, 401, 403, 502, 503, 504) },
    });
  }
  registerCompatPaths(registry);
  registry.registerPath({
    method: 'get',
    path: '/api/status',
    summary: 'Worker and intent-model status for the UI badge',
    responses: { 200: { description: 'Status', content: json(GatewayStatusSchema) } },
  });
  registry.registerPath({ method: 'get', path: '/healthz', summary: 'Liveness', responses: { 200: { description: 'Alive' } } });
  registry.registerPath({
    method: 'get',
    path: '/readyz',
    summary: 'Readiness: the intent model is loaded (worker availability is reported, not required)',
    responses: { 200: { description: 'Ready' }, 503: { description: 'Not ready yet' } },
  });
  registry.registerPath({
    method: 'get',
    path: '/openapi.json',
    summary: 'This OpenAPI 3.1 document (Swagger UI at /docs)',
    responses: { 200: { description: 'OpenAPI document', content: { 'application/json': { schema: z.record(z.string(), z.unknown()) } } } },
  });
  registry.registerPath({ method: 'get', path: '/metrics', summary: 'Prometheus metrics', responses: { 200: { description: 'Text exposition format', content: { 'text/plain': { schema: z.string() } } } } });
  registry.registerPath({
    method: 'post',
    path: '/internal/workers/heartbeat',
    summary: 'Worker heartbeat (HMAC-signed with WORKER_SHARED_SECRET)',
    request: {
      headers: z.object({ 'x-signature-timestamp': z.string(), 'x-signature-nonce': z.string(), 'x-signature': z.string() }),
      body: { content: json(HeartbeatSchema), required: true },
    },
    responses: {
      200: { description: 'Registered or updated', content: json(z.object({ ok: z.boolean(), registered: z.boolean(), removed: z.boolean() })) },
      ...errors(400, 401, 413),
    },
  });
  return docs.getOpenAPI31Document({
    openapi: '3.1.0',
    info: {
      title: 'Restaurant-review assistant gateway',
      version: APP_VERSION,
      description: 'Public API of the cloud gateway. Every error is `{"error": {"code", "message"}}`.',
    },
  }) as unknown as Record<string, unknown>;
}

// A Map, not an object literal: a file name such as `constructor` or `__proto__` must not find
// an inherited property (it used to reach readFile and end in a 500).
const swaggerAssets = new Map<string, string>(Object.entries({
  'swagger-ui.css': 'text/css; charset=utf-8',
  'swagger-ui-bundle.js': 'text/javascript; charset=utf-8',
  'favicon-32x32.png': 'image/png',
}));

const docsPage = `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>Gateway API docs</title>
<link rel="icon" type="image/png" href="/docs/assets/favicon-32x32.png">
<link rel="stylesheet" href="/docs/assets/swagger-ui.css">
</head>
<body>
<div id="swagger-ui"></div>
<script src="/docs/assets/swagger-ui-bundle.js"></script>
<script src="/docs/assets/init.js"></script>
</body>
</html>
`;

// External initializer: the CSP forbids inline script.
const initializer = `window.addEventListener('load', function () {
  window.ui = SwaggerUIBundle({ url: '/openapi.json', dom_id: '#swagger-ui', deepLinking: true });
});
`;

/**
 * `/openapi.json` and `/docs` (Swagger UI from the local swagger-ui-dist package; no CDN).
 * `documented`: the mounted `OpenAPIHono` sub-apps whose route definitions go into the document.
 */
export function createDocsRoutes(documented: readonly OpenAPIHono[] = []): Hono<GatewayEnv> {
  const routes = new Hono<GatewayEnv>();
  let document: Record<string, unknown> | undefined;
  const assets = new Map<string, Buffer>();
  routes.get('/openapi.json', (c) => {
    document ??= buildOpenApiDocument(documented);
    return c.json(document);
  });
  routes.get('/docs', (c) => c.html(docsPage));
  routes.get('/docs/assets/init.js', (c) => {
    c.header('Content-Type', 'text/javascript; charset=utf-8');
    return c.body(initializer);
  });
  routes.get('/docs/assets/:file', async (c) => {
    const file = c.req.param('file');
    const type = swaggerAssets.get(file);
    if (!type) return c.notFound();
    let content = assets.get(file);
    if (!content) {
      const directory = dirname(createRequire(import.meta.url).resolve('swagger-ui-dist/package.json'));
      content = await readFile(join(directory, file));
      assets.set(file, content);
    }
    c.header('Content-Type', type);
    c.header('Cache-Control', 'public, max-age=86400');
    return c.body(new Uint8Array(content));
  });
  return routes;
}
