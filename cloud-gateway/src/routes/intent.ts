import { Hono } from 'hono';
import type { IntentService } from '../intent/classifier.js';

export interface IntentRoutesOptions {
  intent: IntentService;
}

/**
 * `POST /api/intent`, `POST /api/intent/batch` and the `GET /intent` test page. Placeholder until
 * the intent work lands; the signature is what `app.ts` mounts (at '/').
 */
export function createIntentRoutes(options: IntentRoutesOptions): Hono {
  const routes = new Hono();
  routes.post('/api/intent', (c) =>
    c.json({ error: { code: 'not_ready', message: options.intent.status().message ?? 'intent model not loaded' } }, 503),
  );
  return routes;
}
