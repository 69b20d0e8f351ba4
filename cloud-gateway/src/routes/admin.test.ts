import type { AddressInfo } from 'node:net';
import { serve } from '@hono/node-server';
import { chromium } from 'playwright-core';
import { describe, expect, it } from 'vitest';
import type { RoutedRequest, WorkerSnapshot } from '../pool/types.js';
import { Hono } from 'hono';
import type { GatewayEnv } from '../middleware/gateway-env.js';
import { createErrorRenderer } from '@review-assistant/shared/edge';
import { createAdminRoutes } from './admin.js';

const adminToken = 'admin-token-0123456789abcdef';

const workers: WorkerSnapshot[] = [
  {
    id: 'gpu-pc-1',
    url: 'https://gpu-pc-1.ngrok-free.app',
    source: 'heartbeat',
    state: 'ready',
    breaker: 'closed',
    up: true,
    active: 1,
    queue: 0,
    capacity: 2,
    backend: 'ollama',
    models: [],
    lastHeartbeatAt: new Date().toISOString(),
    lastError: null,
  },
  {
    id: 'static-1',
    url: 'http://127.0.0.1:8787',
    source: 'static',
    state: 'degraded',
    breaker: 'open',
    up: false,
    active: 0,
    queue: 0,
    capacity: 2,
    backend: null,
    models: [],
    lastHeartbeatAt: null,
    lastError: 'worker_timeout: no first byte within 30 s <script>alert(1)</script>',
  },
];

const requests: RoutedRequest[] = [{ time: new Date().toISOString(), requestId: 'req-1', workerId: 'gpu-pc-1', route: 'worker', intent: 'restaurant_reviews', status: 'ok', ms: 812 }];

/** The admin routes under the gateway's error renderer (they throw typed errors). */
function app(token: string | undefined) {
  const parent = new Hono<GatewayEnv>();
  parent.onError(createErrorRenderer<GatewayEnv>().onError);
  parent.route('/', createAdminRoutes({ adminToken: token, listWorkers: () => workers, recentRequests: () => requests }));
  return parent;
}

describe('admin routes', () => {
  it('do not exist without ADMIN_TOKEN', async () => {
    for (const path of ['/admin', '/admin/api/workers', '/admin/admin.js']) {
      const response = await app(undefined).request(path, { headers: { authorization: 'Bearer anything-at-all-000' } });
      expect(response.status).toBe(404);
    }
  });

  it('refuse pool data without the right Bearer token', async () => {
    const cases = [undefined, 'Bearer wrong-token-0123456789ab', `Basic ${adminToken}`, `Bearer ${adminToken}x`, `Bearer ${adminToken.slice(0, -1)}`];
    for (const authorization of cases) {
      const response = await app(adminToken).request('/admin/api/overview', authorization ? { headers: { authorization } } : {});
      expect(response.status).toBe(401);
      const body = await response.json();
      expect(body.error.code).toBe('unauthorized');
      expect(JSON.stringify(body)).not.toContain('gpu-pc-1');
    }
  });

  it('list workers and recent requests with the token', async () => {
    const headers = { authorization: `Bearer ${adminToken}` };
    expect(await (await app(adminToken).request('/admin/api/workers', { headers })).json()).toEqual({ workers });
    expect(await (await app(adminToken).request('/admin/api/requests', { headers })).json()).toEqual({ requests });
    const overview = await (await app(adminToken).request('/admin/api/overview', { headers })).json();
    expect(overview.workers).toHaveLength(2);
    expect(overview.requests[0].requestId).toBe('req-1');
  });

  it('serve a page with no inline script or style under a strict CSP', async () => {
    const page = await app(adminToken).request('/admin');
    const html = await page.text();
    expect(page.headers.get('content-security-policy')).toMatch(/script-src 'self'.*style-src 'self'/);
    expect(html).not.toMatch(/<script(?![^>]*\bsrc=)[^>]*>/);
    expect(html).not.toMatch(/<style|\sstyle=|\son[a-z]+=/);
  });

});

describe('admin page in a browser', () => {
  it('asks for the token, then shows workers and requests without CSP violations', async () => {
    const routes = app(adminToken);
    const server = serve({ fetch: routes.fetch, port: 0, hostname: '127.0.0.1' });
    await new Promise<void>((resolve) => server.once('listening', () => resolve()));
    const base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
    const browser = await chromium.launch({ executablePath: process.env['CHROMIUM_PATH'] ?? '/usr/bin/chromium', args: ['--no-sandbox'] });
    try {
      const page = await browser.newPage();
      const problems: string[] = [];
      page.on('console', (message) => {
        // Missing favicon (404) and the deliberate wrong token (401) are expected; CSP refusals are not.
        if (message.type() === 'error' && !/status of (404|401)/.test(message.text())) problems.push(message.text());
      });
      page.on('pageerror', (error) => problems.push(error.message));
      await page.goto(`${base}/admin`);
      await page.fill('#token', 'wrong-token-0123456789abc');
      await page.click('button[type=submit]');
      await page.waitForFunction(() => document.getElementById('status')?.textContent === 'token rejected');
      await page.fill('#token', adminToken);
      await page.click('button[type=submit]');
      await page.waitForSelector('#workers tr');
      const rows = await page.$$eval('#workers tr', (trs) => trs.map((tr) => Array.from(tr.children, (td) => td.textContent)));
      expect(rows[0]?.slice(0, 3)).toEqual(['gpu-pc-1', 'ready', 'closed']);
      expect(rows[1]?.[9]).toContain('<script>alert(1)</script>');
      expect(await page.$$eval('#requests tr', (trs) => trs.length)).toBe(1);
      await page.reload();
      await page.waitForSelector('#workers tr');
      expect(await page.isVisible('#login')).toBe(false);
      expect(problems).toEqual([]);
    } finally {
      await browser.close();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    }
  });
});
