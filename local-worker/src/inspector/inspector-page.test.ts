import type { AddressInfo } from 'node:net';
import { serve } from '@hono/node-server';
import type { ServerType } from '@hono/node-server';
import { Hono } from 'hono';
import { chromium } from 'playwright-core';
import { describe, expect, it } from 'vitest';
import { AppError, NonceCache, createSignedFetch } from '@review-assistant/shared';
import { signatureMiddleware } from '@review-assistant/shared/edge';
import { startInspectorServer } from './inspector-server.js';
import { TrafficRecorder } from './traffic-recorder.js';

const secret = 'inspector-page-secret-0123456789';

describe('traffic inspector page in a browser', () => {
  it('lists requests, shows a redacted body and replays a request', async () => {
    const recorder = new TrafficRecorder({ secrets: [secret] });
    const answered: string[] = [];
    const worker = new Hono();
    worker.use('*', recorder.middleware());
    worker.onError((error, c) => (error instanceof AppError ? c.json(error.toBody(), error.status as 401) : c.json({ error: { code: 'internal', message: String(error) } }, 500)));
  worker.use('*', signatureMiddleware({ secret, nonceCache: new NonceCache() }));
    worker.post('/v1/retrieve', async (c) => {
      const body = await c.req.json<{ query: string }>();
      answered.push(body.query);
      return c.json({ results: [] });
    });
    const workerServer: ServerType = await new Promise((resolve) => {
      const started = serve({ fetch: worker.fetch, port: 0, hostname: '127.0.0.1' }, () => resolve(started));
    });
    const workerUrl = `http://127.0.0.1:${(workerServer.address() as AddressInfo).port}`;
    const inspector = await startInspectorServer({ recorder, workerUrl, secret, port: 0 });
    const browser = await chromium.launch({ executablePath: process.env['CHROMIUM_PATH'] ?? '/usr/bin/chromium', args: ['--no-sandbox', '--disable-gpu'] });
    try {
      await (
        await createSignedFetch(secret)(`${workerUrl}/v1/retrieve`, {
          method: 'POST',
          headers: { 'content-type': 'application/json' },
          body: JSON.stringify({ query: `biryani <img src=x onerror=alert(1)> ${secret}` }),
        })
      ).text();

      const page = await browser.newPage();
      const problems: string[] = [];
      page.on('pageerror', (error) => problems.push(error.message));
      page.on('console', (message) => {
        if (message.type() === 'error' && !/status of 404/.test(message.text())) problems.push(message.text());
      });
      page.on('dialog', (dialog) => {
        problems.push(`dialog: ${dialog.message()}`);
        void dialog.dismiss();
      });
      await page.goto(inspector.url);
      await page.waitForSelector('#requests tr');
      await page.click('#requests tr');
      await page.waitForSelector('#detail pre');
      const detail = await page.textContent('#detail');
      expect(detail).toContain('POST /v1/retrieve');
      expect(detail).toContain('<img src=x onerror=alert(1)>');
      expect(detail).toContain('[redacted]');
      expect(detail).not.toContain(secret);

      await page.click('#detail button');
      await page.waitForFunction(() => document.querySelector('#detail .notice')?.textContent?.startsWith('replayed'));
      expect(await page.textContent('#detail .notice')).toBe('replayed: status 200');
      await page.waitForFunction(() => document.querySelectorAll('#requests tr').length === 2);
      expect(answered).toHaveLength(2);
      expect(problems).toEqual([]);
    } finally {
      await browser.close();
      await inspector.close();
      await new Promise<void>((resolve) => workerServer.close(() => resolve()));
    }
  });
});
