import { Hono } from 'hono';
import type { MiddlewareHandler } from 'hono';
import { AppError } from '@review-assistant/shared';
import { ADMIN_CSS, ADMIN_HTML, ADMIN_JS } from '../admin/admin-page.js';
import { ANALYTICS_CSS, ANALYTICS_HTML } from '../admin/analytics-page.js';
import type { Analytics } from '../logs/analytics.js';
import type { LogRange } from '../logs/log-store.js';
import type { GatewayEnv } from '../middleware/gateway-env.js';
import { requireToken, SecretSet } from '../middleware/token-auth.js';
import type { RoutedRequest, WorkerSnapshot } from '../pool/types.js';
import { analyticsCsv, parseAnalyticsRange } from './analytics-query.js';

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

  routes.get('/admin', (c) => c.html(ADMIN_HTML));
  routes.get('/admin/admin.js', (c) => c.body(ADMIN_JS, 200, { 'content-type': 'text/javascript; charset=utf-8' }));
  routes.get('/admin/admin.css', (c) => c.body(ADMIN_CSS, 200, { 'content-type': 'text/css; charset=utf-8' }));
  routes.get('/admin/analytics', (c) => c.html(ANALYTICS_HTML));
  routes.get('/admin/analytics.css', (c) => c.body(ANALYTICS_CSS, 200, { 'content-type': 'text/css; charset=utf-8' }));

  routes.use('/admin/api/*', requireAdminToken(adminToken));
  routes.get('/admin/api/workers', (c) => c.json({ workers: options.listWorkers() }));
  routes.get('/admin/api/requests', async (c) => c.json({ requests: await options.recentRequests() }));
  routes.get('/admin/api/overview', async (c) => c.json({ workers: options.listWorkers(), requests: await options.recentRequests(), time: new Date().toISOString() }));
  const analytics = options.analytics;
  if (analytics) {
    routes.get('/admin/api/analytics', async (c) => c.json(await analytics(parseAnalyticsRange(c.req.query()))));
    routes.get('/admin/api/analytics.csv', async (c) => {
      const range = parseAnalyticsRange(c.req.query());
      c.header('content-disposition', `attachment; filename="analytics-${range.from.toISOString().slice(0, 13)}-${range.to.toISOString().slice(0, 13)}.csv"`);
      return c.body(analyticsCsv(await analytics(range)), 200, { 'content-type': 'text/csv; charset=utf-8' });
    });
  }
  routes.all('/admin/*', (c) => {
    throw new AppError('not_found', `no admin page ${c.req.path}`);
  });
  return routes;
}
