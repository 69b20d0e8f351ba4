import type { Browser } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestGateway, type TestGateway } from '@review-assistant/cloud-gateway/testing';
import { launchChromium, openWatchedPage } from './support/chat-ui-browser.js';

/** `/docs` in a real browser: Swagger UI from local files, under the gateway's strict CSP. */
describe('gateway API docs in Chromium', () => {
  let browser: Browser;
  let gateway: TestGateway;

  beforeAll(async () => {
    gateway = createTestGateway();
    await gateway.listen();
    browser = await launchChromium();
  });

  afterAll(async () => {
    await browser?.close();
    await gateway?.close();
  });

  it('renders every documented endpoint without script errors or requests to other origins', async () => {
    const { page, problems, context } = await openWatchedPage(browser);
    const foreign: string[] = [];
    page.on('request', (request) => {
      if (!request.url().startsWith(gateway.url) && !request.url().startsWith('data:')) foreign.push(request.url());
    });
    const missing: string[] = [];
    page.on('response', (response) => {
      if (response.status() >= 400) missing.push(`${response.status()} ${response.url()}`);
    });
    await page.goto(`${gateway.url}/docs`);
    await page.waitForSelector('.opblock-summary-path', { timeout: 30_000 });
    const paths = await page.locator('.opblock-summary-path').allInnerTexts();
    for (const path of ['/api/chat', '/api/retrieve', '/api/status', '/internal/workers/heartbeat']) {
      expect(paths.map((text) => text.replace(/\u200b/g, ''))).toContain(path);
    }
    expect(await page.locator('.info .title').innerText()).toContain('Restaurant-review assistant gateway');
    expect(foreign).toEqual([]);
    expect(missing).toEqual([]);
    expect(problems).toEqual([]);
    await context.close();
  });
});
