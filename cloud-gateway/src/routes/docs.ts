import { readFile } from 'node:fs/promises';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { Hono } from 'hono';
import { z } from 'zod';
import type { GatewayEnv } from '../middleware/gateway-env.js';
import { addRoute, declareRoute } from './route-declaration.js';
import { contentResponse, errorResponses, jsonResponse } from './route-responses.js';

const openApiRoute = declareRoute({
  method: 'get',
  path: '/openapi.json',
  summary: 'This OpenAPI 3.1 document, built from the route declarations (Swagger UI at /docs)',
  tags: ['docs'],
  responses: { 200: jsonResponse('OpenAPI document', z.record(z.string(), z.unknown())) },
});
const docsPageRoute = declareRoute({ method: 'get', path: '/docs', summary: 'Swagger UI for this document', tags: ['docs'], responses: { 200: contentResponse('HTML page', 'text/html') } });
const docsAssetRoute = declareRoute({
  method: 'get',
  path: '/docs/assets/{file}',
  summary: 'Swagger UI files from the local swagger-ui-dist package (no CDN), and its start-up script init.js (external: the CSP forbids inline script)',
  tags: ['docs'],
  request: { params: z.object({ file: z.enum(['swagger-ui.css', 'swagger-ui-bundle.js', 'favicon-32x32.png', 'init.js']) }) },
  responses: { 200: contentResponse('Stylesheet, script or icon', 'application/octet-stream'), ...errorResponses([404]) },
});

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
 * `documented`: the app whose routes the document describes (read on the first request, when
 * every route is mounted). The document generator is loaded and run on that first request and
 * its JSON kept: a gateway nobody asks for docs spends neither start-up time nor memory on it.
 */
export function createDocsRoutes(documented: Hono<any, any, any>): Hono<GatewayEnv> {
  const routes = new Hono<GatewayEnv>();
  let document: Promise<string> | undefined;
  const assets = new Map<string, Buffer>();
  addRoute(routes, openApiRoute, async (c) => {
    document ??= import('./openapi-document.js').then(({ buildOpenApiDocument }) => JSON.stringify(buildOpenApiDocument(documented)));
    const text = await document.catch((error: unknown) => {
      document = undefined;
      throw error;
    });
    return c.body(text, 200, { 'content-type': 'application/json' });
  });
  addRoute(routes, docsPageRoute, (c) => c.html(docsPage));
  // init.js is served by the `:file` route, not a static route beside it: a static path that a
  // parameter route also matches makes Hono's SmartRouter give up its RegExpRouter for the slower
  // TrieRouter, for every request to the gateway (about 1 µs more per /healthz).
  addRoute(routes, docsAssetRoute, async (c) => {
    const file = c.req.param('file') ?? '';
    if (file === 'init.js') {
      c.header('Content-Type', 'text/javascript; charset=utf-8');
      return c.body(initializer);
    }
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
