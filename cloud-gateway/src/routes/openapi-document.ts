import { OpenAPIRegistry, OpenApiGeneratorV31, zodToOpenAPIRegistry, type RouteConfig } from '@asteasolutions/zod-to-openapi';
import type { Hono } from 'hono';
import { z } from 'zod';
import { APP_VERSION, ChatRequestSchema, ErrorBodySchema, SourceItemSchema, StreamEventSchema } from '@review-assistant/shared';
import { OllamaErrorSchema, OpenAiErrorSchema } from './compat/compat-response-schemas.js';
import { ROUTE_TAGS, servedRoutes, type RouteDeclaration, type RouteTag, type SecuritySchemeName } from './route-declaration.js';

type SecurityScheme = Parameters<OpenAPIRegistry['registerComponent']>[2];
/** The generated OpenAPI 3.1 object. */
export type OpenApiDocument = ReturnType<OpenApiGeneratorV31['generateDocument']>;

const securitySchemes: Record<SecuritySchemeName, SecurityScheme> = {
  bearerKey: { type: 'http', scheme: 'bearer', description: 'One of API_KEYS' },
  apiKeyHeader: { type: 'apiKey', in: 'header', name: 'X-API-Key', description: 'One of API_KEYS' },
  adminToken: { type: 'http', scheme: 'bearer', description: 'ADMIN_TOKEN' },
  metricsToken: { type: 'http', scheme: 'bearer', description: 'METRICS_TOKEN (loopback clients need none)' },
  workerSignature: {
    type: 'apiKey',
    in: 'header',
    name: 'X-Signature',
    description:
      'HMAC-SHA256 with WORKER_SHARED_SECRET, lowercase hex, of METHOD, path with query, X-Signature-Timestamp (unix seconds), X-Signature-Nonce (16+ random bytes, hex) and the hex SHA-256 of the raw body, joined by newlines; ±60 s, nonces used once.',
  },
};

const tagDescriptions: Record<RouteTag, string> = {
  chat: 'A chat turn: intent, routing, a grounded answer streamed from a worker',
  intent: 'Intent prediction in the gateway (CLINC150 model)',
  'worker API': 'Embed, retrieve and generate on a worker, behind API keys',
  'OpenAI-compatible': 'The assistant for OpenAI clients (base URL <gateway>/v1)',
  'Ollama-compatible': 'The assistant for Ollama clients (host <gateway>/ollama)',
  operations: 'Probes, status and metrics',
  workers: 'Signed worker → gateway traffic',
  admin: 'Admin console and its API (ADMIN_TOKEN; 404 when unset)',
  pages: 'Browser pages and their files',
  docs: 'This document and Swagger UI',
};

/**
 * Schemas many routes share, described once under `components.schemas` and referenced by name
 * (the library's own metadata registry, which `.openapi(name)` would fill, read by its generator).
 */
const sharedSchemas: [string, z.ZodType][] = [
  ['ErrorBody', ErrorBodySchema],
  ['OpenAiError', OpenAiErrorSchema],
  ['OllamaError', OllamaErrorSchema],
  ['ChatRequest', ChatRequestSchema],
  ['StreamEvent', StreamEventSchema],
  ['SourceItem', SourceItemSchema],
];

/** `/v1/models/:model` → `/v1/models/{model}`. */
const openApiPath = (honoPath: string) => honoPath.replace(/:(\w+)/g, '{$1}');

/** Each `{name}` of the path as a string parameter, for routes that do not declare their own. */
function pathParameters(path: string): z.ZodObject | undefined {
  const names = [...path.matchAll(/\{(\w+)\}/g)].map((match) => match[1]!);
  return names.length === 0 ? undefined : z.object(Object.fromEntries(names.map((name) => [name, z.string()])));
}

function routeConfig(method: string, path: string, declaration: RouteDeclaration): RouteConfig {
  const request = declaration.request;
  const params = request?.params ?? pathParameters(path);
  return {
    method: method as RouteConfig['method'],
    path,
    summary: declaration.summary,
    ...(declaration.description === undefined ? {} : { description: declaration.description }),
    tags: [...declaration.tags],
    ...(declaration.security === undefined ? {} : { security: declaration.security.map((requirement) => ({ ...requirement })) }),
    request: {
      ...(request?.body === undefined ? {} : { body: { content: { 'application/json': { schema: request.body } }, required: true } }),
      ...(request?.query === undefined ? {} : { query: request.query }),
      ...(params === undefined ? {} : { params }),
      ...(request?.headers === undefined ? {} : { headers: request.headers }),
    },
    responses: { ...declaration.responses },
  };
}

/**
 * The OpenAPI 3.1 document of what `app` serves, from the declarations its routes were added with
 * (`addRoute`): the paths are the ones Hono serves (mount prefixes included), so a route is in the
 * document exactly when it exists. Routes added without a declaration are left out (a test fails on them).
 */
export function buildOpenApiDocument(app: Hono<any, any, any>): OpenApiDocument {
  for (const [name, schema] of sharedSchemas) {
    if (zodToOpenAPIRegistry.get(schema) === undefined) zodToOpenAPIRegistry.add(schema, { _internal: { refId: name } });
  }
  const registry = new OpenAPIRegistry();
  for (const [name, scheme] of Object.entries(securitySchemes)) registry.registerComponent('securitySchemes', name, scheme);
  for (const route of servedRoutes(app)) {
    if (route.declaration) registry.registerPath(routeConfig(route.method, openApiPath(route.path), route.declaration));
  }
  return new OpenApiGeneratorV31(registry.definitions).generateDocument({
    openapi: '3.1.0',
    info: {
      title: 'Restaurant-review assistant gateway',
      version: APP_VERSION,
      description: 'Public API of the cloud gateway. Every error is `{"error": {"code", "message"}}` (the OpenAI- and Ollama-compatible APIs use their own error shapes).',
    },
    tags: ROUTE_TAGS.map((name) => ({ name, description: tagDescriptions[name] })),
  });
}
