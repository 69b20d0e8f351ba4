import { describe, expect, it } from 'vitest';
import { ErrorBodySchema } from '@review-assistant/shared';
import type { UiAssetSource } from '../ui/assets.js';
import { createUiRoutes } from './ui.js';

describe('createUiRoutes', () => {
  // one real bundle for the file: esbuild runs once on the first request
  const ui = createUiRoutes();

  it('serves the chat page that loads its script and styles from /ui without inline code', async () => {
    const response = await ui.request('/');
    expect(response.status).toBe(200);
    expect(response.headers.get('content-type')).toContain('text/html');
    const html = await response.text();
    expect(html).toContain('<script type="module" src="/ui/app.js"></script>');
    expect(html).toContain('href="/ui/styles.css"');
    // CSP `script-src 'self'; style-src 'self'` forbids inline scripts, handlers and style attributes
    expect(html).not.toMatch(/<script(?![^>]*\bsrc=)[^>]*>/);
    expect(html).not.toMatch(/\sstyle=/);
    expect(html).not.toMatch(/\son[a-z]+=/);
    expect(html).not.toMatch(/https?:\/\//);
  });

  it('serves the bundled client as JavaScript, with no HTML parsing sink in it', async () => {
    const response = await ui.request('/ui/app.js');
    expect(response.status).toBe(200);
    expect(response.headers.get('content-type')).toContain('text/javascript');
    const script = await response.text();
    expect(script).toContain('/ws/chat');
    expect(script).not.toMatch(/innerHTML|outerHTML|insertAdjacentHTML|document\.write|eval\(/);
  });

  it('serves the analytics page script with Chart.js bundled in (no CDN) and no HTML parsing sink', async () => {
    const response = await ui.request('/ui/analytics.js');
    expect(response.status).toBe(200);
    const script = await response.text();
    expect(script).toContain('/admin/api/analytics');
    expect(script).toMatch(/doughnut/);
    expect(script).not.toMatch(/https?:\/\/(cdn|unpkg)/);
    expect(script).not.toMatch(/innerHTML|outerHTML|insertAdjacentHTML|document\.write|eval\(/);
  });

  it('answers a matching If-None-Match with 304', async () => {
    const first = await ui.request('/ui/styles.css');
    const etag = first.headers.get('etag');
    expect(etag).toMatch(/^".+"$/);
    expect(first.headers.get('cache-control')).toBe('no-cache');
    const second = await ui.request('/ui/styles.css', { headers: { 'if-none-match': etag ?? '' } });
    expect(second.status).toBe(304);
  });

  it('answers unknown files with a JSON 404', async () => {
    for (const path of ['/ui/nope.js', '/ui/index.html', '/ui/..%2Fpackage.json']) {
      const response = await ui.request(path);
      expect(response.status).toBe(404);
      expect(ErrorBodySchema.parse(await response.json()).error.code).toBe('not_found');
    }
  });

  it('answers 503 with the reason when the files cannot be loaded, and tries again later', async () => {
    let calls = 0;
    const flaky: UiAssetSource = {
      description: 'a test source',
      load: () => {
        calls += 1;
        if (calls === 1) return Promise.reject(new Error('bundle missing'));
        return Promise.resolve(new Map([['index.html', { body: '<p>ok</p>', contentType: 'text/html; charset=utf-8', etag: '"x"' }]]));
      },
    };
    const routes = createUiRoutes({ assets: flaky });
    const failed = await routes.request('/');
    expect(failed.status).toBe(503);
    const body = ErrorBodySchema.parse(await failed.json());
    expect(body.error.code).toBe('not_ready');
    expect(body.error.message).toContain('bundle missing');
    const recovered = await routes.request('/');
    expect(recovered.status).toBe(200);
    expect(await recovered.text()).toBe('<p>ok</p>');
  });
});
