import { Hono } from 'hono';
import type { Context } from 'hono';
import { errorBody } from '@review-assistant/shared';
import { z } from 'zod';
import { defaultUiAssets, UI_FILES, type UiAsset, type UiAssets, type UiAssetSource } from '../ui/assets.js';
import { addRoute, declareRoute } from './route-declaration.js';
import { contentResponse, errorResponses } from './route-responses.js';

export interface UiRoutesOptions {
  /** Where the HTML, CSS and bundled client come from. @default defaultUiAssets() */
  assets?: UiAssetSource;
}

const notModified = { description: 'Not modified (If-None-Match matched the ETag)' };
const indexRoute = declareRoute({
  method: 'get',
  path: '/',
  summary: 'Chat UI page',
  tags: ['pages'],
  responses: { 200: contentResponse('HTML page', 'text/html'), 304: notModified, ...errorResponses([[503, 'The UI files could not be loaded']]) },
});
const uiFileRoute = declareRoute({
  method: 'get',
  path: '/ui/{file}',
  summary: 'Chat UI files (script, styles, icon)',
  tags: ['pages'],
  request: { params: z.object({ file: z.enum(UI_FILES.filter((name) => name !== 'index.html') as [string, ...string[]]) }) },
  responses: { 200: contentResponse('The file', 'application/octet-stream'), 304: notModified, ...errorResponses([404, [503, 'The UI files could not be loaded']]) },
});

/**
 * Chat UI: `GET /` and its files under `/ui/` (`app.js`, `styles.css`, `favicon.svg`). The files
 * are loaded on the first request and kept in memory (a few tens of kB); building the app does
 * no I/O. Every file carries an ETag and `Cache-Control: no-cache`, so browsers revalidate cheaply
 * and never run a stale client against a newer gateway.
 */
export function createUiRoutes(options: UiRoutesOptions = {}): Hono {
  const source = options.assets ?? defaultUiAssets();
  let loading: Promise<UiAssets> | undefined;
  const load = (): Promise<UiAssets> => {
    loading ??= source.load().catch((error: unknown) => {
      loading = undefined; // a later request tries again (e.g. after `npm run build:ui`)
      throw error;
    });
    return loading;
  };

  const serve = async (c: Context, name: string): Promise<Response> => {
    let assets: UiAssets;
    try {
      assets = await load();
    } catch (error) {
      const reason = error instanceof Error ? error.message : String(error);
      return c.json(errorBody('not_ready', `chat UI files could not be loaded from ${source.description}: ${reason}`), 503);
    }
    const file = assets.get(name);
    if (!file) return notFound(c);
    return respond(c, file);
  };

  const ui = new Hono();
  addRoute(ui, indexRoute, (c) => serve(c, 'index.html'));
  addRoute(ui, uiFileRoute, (c) => {
    const name = c.req.param('file') ?? '';
    return (UI_FILES as readonly string[]).includes(name) && name !== 'index.html' ? serve(c, name) : notFound(c);
  });
  return ui;
}

function respond(c: Context, file: UiAsset): Response {
  c.header('Cache-Control', 'no-cache');
  c.header('ETag', file.etag);
  const match = c.req.header('if-none-match');
  if (match && match.split(/\s*,\s*/).includes(file.etag)) return c.body(null, 304);
  c.header('Content-Type', file.contentType);
  return c.body(file.body);
}

function notFound(c: Context): Response {
  return c.json(errorBody('not_found', `no UI file at ${c.req.path}`), 404);
}
