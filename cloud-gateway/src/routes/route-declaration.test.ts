import { Hono, type MiddlewareHandler } from 'hono';
import { describe, expect, it } from 'vitest';
import { z } from 'zod';
import { AppError } from '@review-assistant/shared';
import { createErrorRenderer } from '@review-assistant/shared/edge';
import { buildOpenApiDocument } from './openapi-document.js';
import { addRoute, declareRoute, servedRoutes } from './route-declaration.js';
import { jsonResponse } from './route-responses.js';

const PetSchema = z.object({ name: z.string().min(3), legs: z.number().int().max(8).optional() }).strict();
const petRoute = declareRoute({
  method: 'post',
  path: '/pets/{owner}',
  summary: 'Add a pet',
  tags: ['pages'],
  request: { body: PetSchema, maxBodyBytes: 64, query: z.object({ dryRun: z.enum(['true', 'false']).optional() }) },
  responses: { 200: jsonResponse('Added', PetSchema) },
});

function petApp(middleware: MiddlewareHandler[] = []) {
  const app = new Hono();
  const errors = createErrorRenderer();
  app.onError(errors.onError);
  addRoute(app, petRoute, ...middleware, (c) => c.json({ ...c.req.valid('json'), owner: c.req.param('owner'), dryRun: c.req.valid('query').dryRun ?? null }));
  return app;
}

const post = (body: string) => ({ method: 'POST', body, headers: { 'content-type': 'application/json' } });

describe('addRoute', () => {
  it('validates the body with the declared schema: a body it refuses is a 400 naming the field', async () => {
    const app = petApp();
    const refused = await app.request('/pets/ann', post(JSON.stringify({ name: 'Al' })));
    expect(refused.status).toBe(400);
    expect(await refused.json()).toMatchObject({ error: { code: 'validation_failed', message: expect.stringMatching(/^name: /) } });
    const unknownField = await app.request('/pets/ann', post(JSON.stringify({ name: 'Rex', wings: 2 })));
    expect(await unknownField.json()).toMatchObject({ error: { code: 'validation_failed', message: expect.stringContaining('wings') } });
    const accepted = await app.request('/pets/ann?dryRun=true', post(JSON.stringify({ name: 'Rex', legs: 4 })));
    expect(accepted.status).toBe(200);
    expect(await accepted.json()).toEqual({ name: 'Rex', legs: 4, owner: 'ann', dryRun: 'true' });
  });

  it('enforces the declared body limit, content type and query schema', async () => {
    const app = petApp();
    expect((await app.request('/pets/ann', post(JSON.stringify({ name: 'x'.repeat(100) })))).status).toBe(413);
    expect((await app.request('/pets/ann', { method: 'POST', body: '{"name":"Rex"}', headers: { 'content-type': 'text/plain' } })).status).toBe(415);
    const badQuery = await app.request('/pets/ann?dryRun=maybe', post(JSON.stringify({ name: 'Rex' })));
    expect(badQuery.status).toBe(400);
    expect(await badQuery.json()).toMatchObject({ error: { code: 'validation_failed', message: expect.stringMatching(/^dryRun: /) } });
  });

  it('runs the given middleware before the validators, so credentials are checked before the body is read', async () => {
    const app = petApp([
      async () => {
        throw new AppError('unauthorized', 'no key');
      },
    ]);
    const response = await app.request('/pets/ann', post('not json at all'));
    expect(response.status).toBe(401);
  });

  it('puts the same schemas in the document: what the route refuses is what the document says', () => {
    const document = buildOpenApiDocument(petApp());
    const operation = document.paths?.['/pets/{owner}']?.post;
    const body = JSON.stringify(operation?.requestBody);
    expect(body).toContain('"minLength":3');
    expect(body).toContain('"maximum":8');
    expect(body).toContain('"additionalProperties":false');
    expect(operation?.parameters).toEqual(
      expect.arrayContaining([expect.objectContaining({ in: 'path', name: 'owner', required: true }), expect.objectContaining({ in: 'query', name: 'dryRun', required: false })]),
    );
  });

  it('is found through mounts, prefixes and sub-apps with their own error handler', () => {
    const parent = new Hono();
    parent.route('/v1', petApp());
    parent.get('/plain', (c) => c.text('not declared'));
    parent.use('*', async (_c, next) => next());
    const served = servedRoutes(parent).map((route) => ({ route: `${route.method} ${route.path}`, declared: route.declaration?.summary ?? null }));
    expect(served).toEqual([
      { route: 'post /v1/pets/:owner', declared: 'Add a pet' },
      { route: 'get /plain', declared: null },
    ]);
    expect(Object.keys(buildOpenApiDocument(parent).paths ?? {})).toEqual(['/v1/pets/{owner}']);
  });

  it('refuses one handler for two different declarations (the document could not tell them apart)', () => {
    const app = new Hono();
    const handler = () => new Response('ok');
    addRoute(app, declareRoute({ method: 'get', path: '/a', summary: 'a', tags: ['pages'], responses: {} }), handler);
    expect(() => addRoute(app, declareRoute({ method: 'get', path: '/b', summary: 'b', tags: ['pages'], responses: {} }), handler)).toThrow(/already answers GET \/a/);
  });
});
