import { Hono } from 'hono';

/**
 * Chat UI: `GET /` and its static assets. Placeholder until the chat UI lands
 * (owned by the UI work); the signature is what `app.ts` mounts.
 */
export function createUiRoutes(): Hono {
  const ui = new Hono();
  ui.get('/', (c) => c.text('chat UI coming soon'));
  return ui;
}
