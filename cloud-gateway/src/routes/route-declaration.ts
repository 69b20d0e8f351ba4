import type { ResponseConfig } from '@asteasolutions/zod-to-openapi';
import type { Context, Env, Hono, MiddlewareHandler, Next } from 'hono';
import type { H } from 'hono/types';
import { findTargetHandler } from 'hono/utils/handler';
import type { z } from 'zod';
import { parseJsonBody, parseQuery } from '@review-assistant/shared/edge';

/** The HTTP methods the gateway's routes are declared with. */
export type HttpMethod = 'get' | 'post';

/** Names of the security schemes in the document's `components.securitySchemes` (see `openapi-document.ts`). */
export type SecuritySchemeName = 'bearerKey' | 'apiKeyHeader' | 'adminToken' | 'metricsToken' | 'workerSignature';

/** One OpenAPI security requirement: every scheme it names is needed; a list of them means any one. */
export type SecurityRequirement = Partial<Record<SecuritySchemeName, string[]>>;

/** Groups of the document, in the order it lists them (descriptions in `openapi-document.ts`). */
export const ROUTE_TAGS = ['chat', 'intent', 'worker API', 'OpenAI-compatible', 'Ollama-compatible', 'operations', 'workers', 'admin', 'pages', 'docs'] as const;
export type RouteTag = (typeof ROUTE_TAGS)[number];

/** What a route reads from the request. */
export interface RouteRequest<Body extends z.ZodType | undefined, Query extends z.ZodObject | undefined> {
  /**
   * The JSON body. Registration validates it with the edge kit's `parseJsonBody` before the handler
   * runs (415 not JSON, 413 over the limit counted as the bytes arrive, 400 `invalid_json`, 400
   * `validation_failed` naming each field); the handler reads it with `c.req.valid('json')`.
   */
  body?: Body;
  /** A limit below the app's `MAX_BODY_BYTES` for this route's body. */
  maxBodyBytes?: number;
  /** The query string, validated before the handler (400 naming the parameter); read with `c.req.valid('query')`. */
  query?: Query;
  /** Path parameters, for the document (Hono hands them over as strings). @default each `{name}` of the path as a string */
  params?: z.ZodObject;
  /** Request headers the route reads, for the document (e.g. the signature headers). */
  headers?: z.ZodObject;
}

/**
 * Everything about a gateway route but its handler: registration (`addRoute`) takes the method,
 * path and validators from it, and `/openapi.json` describes the route from it. Declared once, so
 * the document cannot drift from what the route accepts.
 */
export interface RouteDeclaration<Body extends z.ZodType | undefined = z.ZodType | undefined, Query extends z.ZodObject | undefined = z.ZodObject | undefined> {
  method: HttpMethod;
  /** OpenAPI path template, e.g. `/v1/models/{model}` (registered as Hono's `/v1/models/:model`). */
  path: string;
  summary: string;
  description?: string;
  tags: readonly RouteTag[];
  /** Credentials the route takes; any one requirement of the list suffices. @default none */
  security?: readonly SecurityRequirement[];
  request?: RouteRequest<Body, Query>;
  /** By status code, with content types (JSON, `text/event-stream`, `application/x-ndjson`, `text/html`...). */
  responses: Readonly<Record<number, ResponseConfig>>;
}

type NoInput = Record<never, never>;

/** What the validators of a declaration put on the context, for `c.req.valid(...)`. */
export interface DeclaredInput<Body extends z.ZodType | undefined, Query extends z.ZodObject | undefined> {
  in: (Body extends z.ZodType ? { json: z.input<Body> } : NoInput) & (Query extends z.ZodObject ? { query: z.input<Query> } : NoInput);
  out: (Body extends z.ZodType ? { json: z.output<Body> } : NoInput) & (Query extends z.ZodObject ? { query: z.output<Query> } : NoInput);
}

/** A declaration, typed by its schemas (so `c.req.valid('json')` is typed in the handler). */
export function declareRoute<Body extends z.ZodType | undefined = undefined, Query extends z.ZodObject | undefined = undefined>(
  declaration: RouteDeclaration<Body, Query>,
): RouteDeclaration<Body, Query> {
  return declaration;
}

// Keyed by the handler that answers: Hono's `app.route()` copies handlers (wrapping them only when
// the sub-app has its own error handler, and keeping the original reachable, see `findTargetHandler`),
// so the mounting app's `routes` lead back to the declaration with nothing to pass around.
const declarations = new WeakMap<object, RouteDeclaration>();

/** `/v1/models/{model}` → `/v1/models/:model`. */
const honoPath = (openApiPath: string) => openApiPath.replace(/\{(\w+)\}/g, ':$1');

/**
 * The handler with the declaration's validators in front, as one function: no extra step in Hono's
 * middleware chain, so a declared route costs what a handler calling `parseJsonBody` itself costs.
 */
function validated(declaration: RouteDeclaration, handler: H): H {
  const request = declaration.request;
  const body = request?.body;
  const query = request?.query;
  if (body === undefined && query === undefined) return handler;
  const bodyOptions = request?.maxBodyBytes === undefined ? {} : { maxBytes: request.maxBodyBytes };
  return async (c: Context, next: Next) => {
    if (query !== undefined) c.req.addValidatedData('query', parseQuery(c, query) as object);
    if (body !== undefined) c.req.addValidatedData('json', (await parseJsonBody(c, body, bodyOptions)) as object);
    return handler(c, next);
  };
}

/**
 * The one way to add a gateway route: `middleware` (credentials, rate limits) runs first, then the
 * validators the declaration names (query, then the JSON body through the edge kit's
 * `parseJsonBody`: 415, 413 counted as the bytes arrive, 400 naming the field), then `handler`.
 * Nothing runs per request beyond those validators, which a route would call anyway; the
 * declaration itself is read only by `/openapi.json`.
 */
export function addRoute<E extends Env, Body extends z.ZodType | undefined, Query extends z.ZodObject | undefined>(
  app: Hono<E, any, any>,
  declaration: RouteDeclaration<Body, Query>,
  ...chain: [...middleware: MiddlewareHandler<E>[], handler: H<E, string, DeclaredInput<Body, Query>>]
): void {
  const answer = validated(declaration, chain.at(-1) as H);
  const earlier = declarations.get(answer);
  if (earlier !== undefined && earlier !== declaration) {
    throw new Error(`${declaration.method.toUpperCase()} ${declaration.path}: this handler already answers ${earlier.method.toUpperCase()} ${earlier.path}; give each route its own handler`);
  }
  declarations.set(answer, declaration);
  const handlers = [...(chain.slice(0, -1) as H[]), answer];
  (app.on as (method: string, path: string, ...handlers: H[]) => unknown)(declaration.method.toUpperCase(), honoPath(declaration.path), ...handlers);
}

/** One endpoint an app serves and the declaration it was added with (none: added some other way). */
export interface ServedRoute {
  method: string;
  /** Hono's path as served (mount prefixes included), e.g. `/v1/models/:model`. */
  path: string;
  declaration: RouteDeclaration | undefined;
}

/**
 * The endpoints `app` serves, one per method and path, each with its declaration. Hono lists every
 * handler of a route's chain; the one registered by `addRoute` carries the declaration. `ALL`
 * entries are skipped: they are `use` middleware and the catch-all fallbacks that answer 404.
 */
export function servedRoutes(app: Hono<any, any, any>): ServedRoute[] {
  const byKey = new Map<string, ServedRoute>();
  for (const route of app.routes) {
    if (route.method === 'ALL') continue;
    const key = `${route.method} ${route.path}`;
    let served = byKey.get(key);
    if (!served) {
      served = { method: route.method.toLowerCase(), path: route.path, declaration: undefined };
      byKey.set(key, served);
    }
    served.declaration ??= declarations.get(findTargetHandler(route.handler));
  }
  return [...byKey.values()];
}
