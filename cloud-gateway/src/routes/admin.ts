import { Hono } from 'hono';

export interface AdminRoutesOptions {
  /** Unset: admin pages answer 404. */
  adminToken: string | undefined;
  /** Snapshot of the worker pool (see pool/types.ts). */
  listWorkers: () => unknown[];
  /** Recent routed chat requests, newest first. */
  recentRequests: () => unknown[];
}

/** Admin pages behind ADMIN_TOKEN. Placeholder until the tunnel/trust work lands (mounted at '/'). */
export function createAdminRoutes(options: AdminRoutesOptions): Hono {
  const routes = new Hono();
  routes.get('/admin', (c) => (options.adminToken ? c.text('admin coming soon') : c.notFound()));
  return routes;
}
