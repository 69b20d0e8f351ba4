import { Hono } from 'hono';
import type { MiddlewareHandler } from 'hono';
import { z } from 'zod';
import { AppError } from '@review-assistant/shared';
import { ADMIN_CSS, ADMIN_HTML, ADMIN_JS } from '../admin/admin-page.js';
import { ANALYTICS_CSS, ANALYTICS_HTML } from '../admin/analytics-page.js';
import type { Analytics } from '../logs/analytics.js';
import type { LogRange } from '../logs/log-store.js';
import type { GatewayEnv } from '../middleware/gateway-env.js';
import { requireToken, SecretSet } from '../middleware/token-auth.js';
import type { RoutedRequest, WorkerSnapshot } from '../pool/types.js';
import { AnalyticsSchema, RoutedRequestSchema, WorkerSnapshotSchema } from './admin-schemas.js';
import { AnalyticsQuerySchema, analyticsCsv, analyticsRange } from './analytics-query.js';
import { addRoute, declareRoute, type RouteDeclaration, type RouteTag } from './route-declaration.js';
import { ADMIN_TOKEN, contentResponse, errorResponses, jsonResponse } from './route-responses.js';

export interface AdminRoutesOptions {
  /** Unset: admin pages answer 404. */
  adminToken: string | undefined;
  /** Snapshot of the worker pool (see pool/types.ts). */
  listWorkers: () => WorkerSnapshot[];
  /** Recent routed requests, newest first (chat turns come from the interaction log, so every gateway's show). */
  recentRequests: () => RoutedRequest[] | Promise<RoutedRequest[]>;
  /** Usage of a time range from the interaction log (`GET /admin/api/analytics`). */
  analytics?: (range: LogRange) => Promise<Analytics>;
}

const CONTENT_SECURITY_POLICY = "default-src 'none'; script-src 'self'; style-src 'self'; connect-src 'self'; img-src 'self'; base-uri 'none'; form-action 'none'; frame-ancestors 'none'";

const tags: RouteTag[] = ['admin'];
const page = (path: string, summary: string, contentType: string): RouteDeclaration =>
  declareRoute({ method: 'get', path, summary, tags, responses: { 200: contentResponse(summary, contentType) } });
/** A JSON endpoint behind ADMIN_TOKEN. */
const adminApi = (path: string, summary: string, schema: z.ZodType) =>
  declareRoute({ method: 'get', path, summary, tags, security: ADMIN_TOKEN, responses: { 200: jsonResponse(summary, schema), ...errorResponses([401, 429]) } });

// The page shells hold no data (served without the token); every byte of pool data needs it.
const consolePage = page('/admin', 'Admin console page (asks for the token, keeps it in sessionStorage)', 'text/html');
const consoleScript = page('/admin/admin.js', 'Admin console script', 'text/javascript');
const consoleStyles = page('/admin/admin.css', 'Admin console styles', 'text/css');
const analyticsPage = page('/admin/analytics', 'Analytics page', 'text/html');
const analyticsStyles = page('/admin/analytics.css', 'Analytics page styles', 'text/css');
const workersRoute = adminApi('/admin/api/workers', 'The worker pool', z.object({ workers: z.array(WorkerSnapshotSchema) }));
const requestsRoute = adminApi('/admin/api/requests', 'Recent routed requests, newest first', z.object({ requests: z.array(RoutedRequestSchema) }));
const overviewRoute = adminApi(
  '/admin/api/overview',
  'Workers and recent requests in one answer',
  z.object({ workers: z.array(WorkerSnapshotSchema), requests: z.array(RoutedRequestSchema), time: z.string() }),
);
const analyticsErrors = errorResponses([[400, 'Bad time, `from` not before `to`, or a range over 31 days'], 401, 429, [503, 'The interaction log cannot be read right now']]);
const analyticsRoute = declareRoute({
  method: 'get',
  path: '/admin/api/analytics',
  summary: 'Usage of a time range from the interaction log',
  tags,
  security: ADMIN_TOKEN,
  request: { query: AnalyticsQuerySchema },
  responses: { 200: jsonResponse('Turns, routes, intents, latency and an hourly series', AnalyticsSchema), ...analyticsErrors },
});
const analyticsCsvRoute = declareRoute({
  method: 'get',
  path: '/admin/api/analytics.csv',
  summary: 'The hourly series of a time range as CSV (`hour,turns,errors`)',
  tags,
  security: ADMIN_TOKEN,
  request: { query: AnalyticsQuerySchema },
  responses: { 200: contentResponse('CSV download (RFC 4180)', 'text/csv'), ...analyticsErrors },
});

function requireAdminToken(adminToken: string): MiddlewareHandler<GatewayEnv> {
  const secrets = new SecretSet([adminToken]);
  return async (c, next) => {
    requireToken(c, { secrets, realm: 'admin', missing: 'admin endpoints need Authorization: Bearer <ADMIN_TOKEN>', invalid: 'invalid admin token' });
    await next();
  };
}

/**
 * Admin pages behind ADMIN_TOKEN (mounted at '/'): `GET /admin` (a page that asks for the token and
 * keeps it in sessionStorage), its script and styles, and the Bearer-protected JSON it reads:
 * `GET /admin/api/workers`, `/admin/api/requests`, `/admin/api/overview`. The page shell holds no
 * data, so it is served without the token; every byte of pool data needs the token. With no token
 * configured, every admin path answers 404 as if it did not exist.
 */
export function createAdminRoutes(options: AdminRoutesOptions): Hono<GatewayEnv> {
  const routes = new Hono<GatewayEnv>();
  const adminToken = options.adminToken;
  if (!adminToken) {
    const absent = () => {
      throw new AppError('not_found', 'not found');
    };
    routes.all('/admin', absent);
    routes.all('/admin/*', absent);
    return routes;
  }

  routes.use('/admin', async (c, next) => {
    await next();
    c.header('content-security-policy', CONTENT_SECURITY_POLICY);
    c.header('x-frame-options', 'DENY');
    c.header('referrer-policy', 'no-referrer');
    c.header('cache-control', 'no-store');
  });
  routes.use('/admin/*', async (c, next) => {
    await next();
    c.header('content-security-policy', CONTENT_SECURITY_POLICY);
    c.header('cache-control', 'no-store');
    c.header('x-content-type-options', 'nosniff');
  });

  addRoute(routes, consolePage, (c) => c.html(ADMIN_HTML));
  addRoute(routes, consoleScript, (c) => c.body(ADMIN_JS, 200, { 'content-type': 'text/javascript; charset=utf-8' }));
  addRoute(routes, consoleStyles, (c) => c.body(ADMIN_CSS, 200, { 'content-type': 'text/css; charset=utf-8' }));
  addRoute(routes, analyticsPage, (c) => c.html(ANALYTICS_HTML));
  addRoute(routes, analyticsStyles, (c) => c.body(ANALYTICS_CSS, 200, { 'content-type': 'text/css; charset=utf-8' }));

  routes.use('/admin/api/*', requireAdminToken(adminToken));
  addRoute(routes, workersRoute, (c) => c.json({ workers: options.listWorkers() }));
  addRoute(routes, requestsRoute, async (c) => c.json({ requests: await options.recentRequests() }));
  addRoute(routes, overviewRoute, async (c) => c.json({ workers: options.listWorkers(), requests: await options.recentRequests(), time: new Date().toISOString() }));
  const analytics = options.analytics;
  if (analytics) {
    addRoute(routes, analyticsRoute, async (c) => c.json(await analytics(analyticsRange(c.req.valid('query')))));
    addRoute(routes, analyticsCsvRoute, async (c) => {
      const range = analyticsRange(c.req.valid('query'));
      c.header('content-disposition', `attachment; filename="analytics-${range.from.toISOString().slice(0, 13)}-${range.to.toISOString().slice(0, 13)}.csv"`);
      return c.body(analyticsCsv(await analytics(range)), 200, { 'content-type': 'text/csv; charset=utf-8' });
    });
  }
  routes.all('/admin/*', (c) => {
    throw new AppError('not_found', `no admin page ${c.req.path}`);
  });
  return routes;
}
