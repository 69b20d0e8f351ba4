import { Hono } from 'hono';
import { describe, expect, it } from 'vitest';
import { z } from 'zod';
import { createErrorRenderer } from './error-renderer.js';
import { parseJsonBody } from './json-body.js';

describe('parseJsonBody', () => {
  const app = new Hono();
  app.onError(createErrorRenderer().onError);
  const Body = z.object({ text: z.string() }).strict();
  // under a route's own limit (the bytes are decoded by parseJsonBody) and under the app's (c.req.text())
  app.post('/limited', async (c) => c.json(await parseJsonBody(c, Body, { maxBytes: 1024 })));
  app.post('/whole', async (c) => c.json(await parseJsonBody(c, Body)));
  const post = (path: string, body: string) => app.request(path, { method: 'POST', headers: { 'content-type': 'application/json' }, body });

  it('accepts a body that starts with a UTF-8 byte order mark, whichever way the body is read', async () => {
    for (const path of ['/limited', '/whole']) {
      const response = await post(path, '\uFEFF{"text":"caf\u00e9"}');
      expect({ path, status: response.status }).toEqual({ path, status: 200 });
      expect(await response.json()).toEqual({ text: 'caf\u00e9' });
    }
  });

  it('still refuses a body that is not JSON with 400 invalid_json', async () => {
    const response = await post('/limited', '\uFEFF\uFEFF{}');
    expect(response.status).toBe(400);
    expect(await response.json()).toMatchObject({ error: { code: 'invalid_json' } });
  });
});
