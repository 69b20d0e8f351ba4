import { existsSync } from 'node:fs';
import { mkdir, mkdtemp, stat } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { Browser, Page } from 'playwright-core';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { pino } from 'pino';
import { IntentResultSchema, type IntentResult } from '@review-assistant/shared';
import { loadGatewayConfig, IntentRoutingPolicy, startGateway } from '@review-assistant/cloud-gateway';
import { startWorkerDouble, type WorkerDouble } from '@review-assistant/cloud-gateway/testing';
import { ask, CHROMIUM_PATH, lastAnswerText, launchChromium, openChat, openWatchedPage, type WatchedPage } from './support/chat-ui-browser.js';
import { startChatUiGateway, type ChatUiGateway } from './support/chat-ui-gateway.js';
import { SMALL_TALK_REPLY } from './support/chat-ui-intent.js';
import { startSourceRelay, type SourceRelay } from './support/chat-ui-source-relay.js';

const repoRoot = join(dirname(fileURLToPath(import.meta.url)), '..');
const SECRET = 'chat-ui-test-secret';
const ANSWER =
  'Casa Olivo is the favourite: reviewers praise the **fresh pasta** and *friendly* staff [r1]. ' +
  'A few mention slow service [r2].\n\n- Pasta: excellent [r1]\n- Tiramisu: great [r2]';

if (!existsSync(CHROMIUM_PATH)) {
  throw new Error(`browser tests need Debian chromium at ${CHROMIUM_PATH}: apt-get install -y chromium`);
}

let browser: Browser;
const cleanups: Array<() => Promise<unknown>> = [];

beforeAll(async () => {
  browser = await launchChromium();
});

afterEach(async () => {
  // LIFO: pages, then relays and gateways, then the workers behind them
  while (cleanups.length > 0) await cleanups.pop()?.().catch(() => undefined);
});

afterAll(async () => {
  await browser?.close();
});

async function worker(options: Parameters<typeof startWorkerDouble>[0]): Promise<WorkerDouble> {
  const double = await startWorkerDouble({ secret: SECRET, ...options });
  cleanups.push(() => double.close());
  return double;
}

async function gateway(options: Parameters<typeof startChatUiGateway>[0] = {}): Promise<ChatUiGateway> {
  const started = await startChatUiGateway({ secret: SECRET, ...options });
  cleanups.push(() => started.close());
  return started;
}

async function page(options: Parameters<typeof openWatchedPage>[1] = {}): Promise<WatchedPage> {
  const watched = await openWatchedPage(browser, options);
  cleanups.push(() => watched.context.close());
  return watched;
}

/** Samples the streaming answer until it is done; returns the distinct texts seen while streaming. */
async function observeStreaming(target: Page): Promise<string[]> {
  const seen: string[] = [];
  const answer = target.locator('.message.assistant').last();
  for (let sample = 0; sample < 400; sample += 1) {
    const status = await answer.getAttribute('data-status');
    if (status !== 'streaming') break;
    const text = (await answer.locator('.answer').innerText()).replace('Thinking…', '').trim();
    if (text !== '' && text !== seen.at(-1)) seen.push(text);
    await target.waitForTimeout(40);
  }
  return seen;
}

const doneAnswer = (target: Page) => target.locator('.message.assistant[data-status="done"]').last();

describe('chat UI in Chromium against the real gateway', () => {
  it('renders tokens progressively, then the sources, the intent chip and clickable citations', async () => {
    const double = await worker({ tokenDelayMs: 120, answer: ANSWER });
    const server = await gateway({ workerUrls: [double.url] });
    const { page: chat, problems } = await page();
    await openChat(chat, server.url);

    await ask(chat, 'Where is the pasta good?');
    const observed = await observeStreaming(chat);
    await doneAnswer(chat).waitFor();

    // the answer grew in at least two steps before it was complete
    expect(observed.length).toBeGreaterThanOrEqual(2);
    for (let index = 1; index < observed.length; index += 1) {
      expect((observed[index] ?? '').length).toBeGreaterThan((observed[index - 1] ?? '').length);
    }
    const final = await lastAnswerText(chat);
    expect(observed[0]?.length).toBeLessThan(final.length);
    expect(final).toContain('Casa Olivo is the favourite');

    // markdown became elements, not asterisks
    const answer = chat.locator('.message.assistant .answer').last();
    await expect(answer.locator('strong').first().innerText()).resolves.toBe('fresh pasta');
    await expect(answer.locator('em').first().innerText()).resolves.toBe('friendly');
    await expect(answer.locator('li').count()).resolves.toBe(2);
    expect(final).not.toContain('**');

    // sources panel: restaurant, stars, date, excerpt and id from the worker's sources event
    const sources = chat.locator('.message.assistant').last().locator('.source');
    await expect(sources.count()).resolves.toBe(2);
    const first = sources.nth(0);
    await expect(first.locator('.source-restaurant').innerText()).resolves.toBe('Casa Olivo');
    await expect(first.locator('.stars').getAttribute('aria-label')).resolves.toBe('Rated 5 out of 5');
    await expect(first.locator('.source-excerpt').innerText()).resolves.toBe('The pasta was fresh and the staff were lovely.');
    await expect(first.locator('.source-id').innerText()).resolves.toBe('r1');
    await expect(first.locator('time').getAttribute('datetime')).resolves.toBe('2024-05-01');
    await expect(sources.nth(1).locator('.stars').getAttribute('aria-label')).resolves.toBe('Rated 3 out of 5');

    // intent chip on the question: name, confidence and route
    const chip = chat.locator('.message.user .intent').last();
    await expect(chip.locator('.intent-name').innerText()).resolves.toBe('restaurant reviews');
    await expect(chip.locator('.intent-confidence').innerText()).resolves.toBe('88%');
    await expect(chip.getAttribute('data-route')).resolves.toBe('worker');

    // [r2] became a citation that highlights and focuses source 2
    const citation = answer.locator('a.citation[data-source-index="1"]').first();
    await expect(citation.innerText()).resolves.toBe('2');
    await citation.click();
    await expect(sources.nth(1).getAttribute('class')).resolves.toContain('highlighted');
    await expect(chat.evaluate(() => document.activeElement?.getAttribute('data-source-id'))).resolves.toBe('r2');

    // the answer came over the WebSocket and the worker saw one signed chat call with the intent
    await expect(chat.locator('.message.assistant .answer-details').last().innerText()).resolves.toContain('via WebSocket');
    const call = await double.waitFor((candidate) => candidate.path === '/v1/chat');
    expect(call.signed).toBe(true);
    expect(call.intent).toBe('restaurant_reviews');
    expect(problems).toEqual([]);
  });

  it('stops a streaming answer with Stop: the worker request is aborted and the next question works', async () => {
    const double = await worker({ tokenDelayMs: 150, answer: `${'word '.repeat(80)}end.` });
    const server = await gateway({ workerUrls: [double.url] });
    const { page: chat, problems } = await page();
    await openChat(chat, server.url);

    await ask(chat, 'Tell me everything about Casa Olivo');
    const answer = chat.locator('.message.assistant').last();
    await expect.poll(async () => (await answer.locator('.answer').innerText()).includes('word word')).toBe(true);
    await expect(chat.locator('#stop').isVisible()).resolves.toBe(true);
    await chat.click('#stop');

    await expect.poll(() => answer.getAttribute('data-status')).toBe('stopped');
    // the gateway relayed the cancel: the worker saw its client go away before the answer ended
    const call = await double.waitFor((candidate) => candidate.path === '/v1/chat' && candidate.aborted, 5000);
    expect(call.finished).toBe(false);
    const textAtStop = await answer.locator('.answer').innerText();
    await chat.waitForTimeout(600);
    await expect(answer.locator('.answer').innerText()).resolves.toBe(textAtStop);
    expect(textAtStop).not.toContain('end.');
    await expect(answer.locator('.stopped-note').innerText()).resolves.toContain('Stopped');
    await expect(chat.locator('#send').isVisible()).resolves.toBe(true);

    double.options.tokenDelayMs = 0;
    double.options.answer = 'Second answer.';
    await ask(chat, 'And the desserts?');
    await expect.poll(() => lastAnswerText(chat)).toBe('Second answer.');
    await expect(chat.locator('.message.assistant').last().getAttribute('data-status')).resolves.toBe('done');
    expect(problems).toEqual([]);
  });

  it('keeps the conversation across a reload, and "New chat" clears it', async () => {
    const double = await worker({ answer: ANSWER });
    const server = await gateway({ workerUrls: [double.url] });
    const { page: chat, problems } = await page();
    await openChat(chat, server.url);
    await ask(chat, 'Where is the pasta good?');
    await doneAnswer(chat).waitFor();
    const before = await lastAnswerText(chat);

    await chat.reload();
    await chat.waitForSelector('html[data-ready="true"]');
    await expect(chat.locator('.message.user .user-text').innerText()).resolves.toBe('Where is the pasta good?');
    await expect(lastAnswerText(chat)).resolves.toBe(before);
    await expect(chat.locator('.message.assistant .source').count()).resolves.toBe(2);
    await expect(chat.locator('.message.user .intent-name').innerText()).resolves.toBe('restaurant reviews');
    await expect(chat.locator('#empty-state').isVisible()).resolves.toBe(false);

    // the stored history travels with the next question
    await ask(chat, 'And the service?');
    await expect.poll(() => chat.locator('.message.assistant[data-status="done"]').count()).toBe(2);
    const calls = double.calls.filter((call) => call.path === '/v1/chat');
    expect(calls).toHaveLength(2);
    expect((calls[1]?.body as { history?: unknown }).history).toEqual([
      { role: 'user', content: 'Where is the pasta good?' },
      { role: 'assistant', content: ANSWER },
    ]);

    await chat.click('#new-chat');
    await expect(chat.locator('.message').count()).resolves.toBe(0);
    await expect(chat.locator('#empty-state').isVisible()).resolves.toBe(true);
    await expect(chat.evaluate(() => document.activeElement?.id)).resolves.toBe('message');
    await chat.reload();
    await chat.waitForSelector('html[data-ready="true"]');
    await expect(chat.locator('.message').count()).resolves.toBe(0);
    expect(problems).toEqual([]);
  });

  it('shows the offline badge and banner without workers, still answers small talk, and explains review questions', async () => {
    const server = await gateway();
    const { page: chat, problems } = await page();
    await openChat(chat, server.url);

    await expect.poll(() => chat.locator('#status-badge').getAttribute('data-state')).toBe('offline');
    await expect(chat.locator('#status-badge').innerText()).resolves.toContain('Worker offline');
    await expect(chat.locator('#status-banner').isVisible()).resolves.toBe(true);
    await expect(chat.locator('#status-banner').innerText()).resolves.toContain('small talk still works');

    await ask(chat, 'hello there');
    await doneAnswer(chat).waitFor();
    await expect(lastAnswerText(chat)).resolves.toBe(SMALL_TALK_REPLY);
    await expect(chat.locator('.message.user .intent').last().getAttribute('data-route')).resolves.toBe('smalltalk');
    await expect(chat.locator('.message.assistant .answer-details').last().innerText()).resolves.toContain('answered by the gateway');

    await ask(chat, 'Is the biryani spicy at Paradise?');
    const failed = chat.locator('.message.assistant[data-status="error"]').last();
    await failed.waitFor();
    await expect(failed.locator('.error-code').innerText()).resolves.toBe('no_worker');
    await expect(failed.locator('[role="alert"]').isVisible()).resolves.toBe(true);
    await expect(failed.locator('button.retry').isVisible()).resolves.toBe(true);
    expect(problems).toEqual([]);
  });

  it('moves the badge from warming up to online as the worker reports ready, naming the backend', async () => {
    const double = await worker({ backend: 'ollama' });
    const server = await gateway();
    expect((await double.sendHeartbeat(server.url, { state: 'warming-up' })).status).toBe(200);
    const { page: chat, problems } = await page();
    await openChat(chat, server.url);
    const badge = chat.locator('#status-badge');
    await expect.poll(() => badge.getAttribute('data-state')).toBe('warming-up');
    await expect(badge.innerText()).resolves.toBe('Worker warming up · Ollama');
    await expect(chat.locator('#status-banner').isVisible()).resolves.toBe(false);

    expect((await double.sendHeartbeat(server.url, { state: 'ready' })).status).toBe(200);
    // the badge polls every 5 s; it must pick the change up by itself
    await expect.poll(() => badge.getAttribute('data-state'), { timeout: 8000 }).toBe('online');
    await expect(badge.innerText()).resolves.toBe('Worker online · Ollama');
    expect(problems).toEqual([]);
  });

  it('keeps text contrast at 4.5:1 or more in the light and the dark theme', async () => {
    const double = await worker({ answer: ANSWER });
    const server = await gateway({ workerUrls: [double.url] });
    for (const colorScheme of ['light', 'dark'] as const) {
      const { page: chat, problems } = await page({ colorScheme });
      await openChat(chat, server.url);
      await ask(chat, 'hello');
      await doneAnswer(chat).waitFor();
      await ask(chat, 'Where is the pasta good?');
      await expect.poll(() => chat.locator('.message.assistant[data-status="done"]').count()).toBe(2);
      const ratios = await chat.evaluate(contrastReport, [
        '.brand h1', '.badge-label', '#new-chat', '#send', '.hint', '.author', '.intent-name', '.intent-confidence',
        '.intent-route', '.user-text', '.answer p', '.answer li', '.citation', '.sources-heading', '.source-restaurant',
        '.source-excerpt', '.source-id', '.source-date', '.answer-details', '#message',
      ]);
      const tooLow = ratios.filter((entry) => entry.ratio < 4.5);
      expect(ratios.length).toBeGreaterThanOrEqual(18);
      expect(tooLow, `${colorScheme}: ${JSON.stringify(tooLow)}`).toEqual([]);
      expect(problems).toEqual([]);
    }
  });

  it('shows HTML and script from a review and from a model answer as literal text, running none of it', async () => {
    const hostileAnswer =
      'Careful: <img src=x onerror="window.xssFlag=\'answer-img\'"> <script>window.xssFlag="answer-script"</script> ' +
      '[click me](javascript:window.xssFlag="link") <b>bold?</b> [r1]';
    const double = await worker({ answer: hostileAnswer });
    const hostileReview = '<img src=x onerror="window.xssFlag=\'review-img\'"><script>window.xssFlag="review-script"</script>Great soup.';
    const relay: SourceRelay = await startSourceRelay(double.url, (items) =>
      items.map((item, index) =>
        index === 0
          ? { ...item, text: hostileReview, metadata: { ...(item['metadata'] as object), restaurant: '<svg onload="window.xssFlag=\'name\'">Cafe' } }
          : item,
      ),
    );
    cleanups.push(() => relay.close());
    const server = await gateway({ workerUrls: [relay.url] });
    const { page: chat, problems } = await page();
    await openChat(chat, server.url);

    await ask(chat, 'Is the soup good?');
    await doneAnswer(chat).waitFor();
    const message = chat.locator('.message.assistant').last();

    const answerText = await lastAnswerText(chat);
    expect(answerText).toContain('<img src=x onerror="window.xssFlag=\'answer-img\'">');
    expect(answerText).toContain('<script>window.xssFlag="answer-script"</script>');
    expect(answerText).toContain('<b>bold?</b>');
    await expect(message.locator('.source-excerpt').first().innerText()).resolves.toBe(hostileReview);
    await expect(message.locator('.source-restaurant').first().innerText()).resolves.toBe('<svg onload="window.xssFlag=\'name\'">Cafe');

    // no element came out of that text, the javascript: link is not a link, and nothing ran
    await expect(message.locator('img, script, svg, b, iframe').count()).resolves.toBe(0);
    await expect(message.locator('a[href^="javascript"]').count()).resolves.toBe(0);
    await expect(message.locator('.answer a:not(.citation)').count()).resolves.toBe(0);
    await expect(message.locator('a.citation').count()).resolves.toBe(1);
    await chat.waitForTimeout(300);
    await expect(chat.evaluate(() => (window as { xssFlag?: unknown }).xssFlag)).resolves.toBeUndefined();

    // and after a reload (rendered from localStorage) still nothing runs
    await chat.reload();
    await chat.waitForSelector('html[data-ready="true"]');
    await expect(chat.locator('.message.assistant .source-excerpt').first().innerText()).resolves.toBe(hostileReview);
    await chat.waitForTimeout(300);
    await expect(chat.evaluate(() => (window as { xssFlag?: unknown }).xssFlag)).resolves.toBeUndefined();
    expect(problems).toEqual([]);
  });

  it('shows the worker_stream_broken error when the worker dies mid-answer, and answers again once a worker is back', async () => {
    const first = await worker({ tokenDelayMs: 150, answer: `${'slowly '.repeat(60)}done.` });
    const server = await gateway();
    // announced by heartbeat, like a worker behind a tunnel
    expect((await first.sendHeartbeat(server.url)).status).toBe(200);
    const { page: chat, problems } = await page();
    await openChat(chat, server.url);
    await expect.poll(() => chat.locator('#status-badge').getAttribute('data-state')).toBe('online');

    await ask(chat, 'What do people say about the service?');
    const answer = chat.locator('.message.assistant').last();
    await expect.poll(async () => (await answer.locator('.answer').innerText()).includes('slowly slowly')).toBe(true);

    // The 2 s bound is proven gateway-side (cloud-gateway routes/chat.test.ts, e2e tunnel test); here
    // the browser must show the gateway's error code for a broken stream, whatever rendering costs.
    await first.close();
    await answer.locator('.error-box').waitFor({ timeout: 10_000 });
    await expect(answer.locator('.error-code').innerText()).resolves.toBe('worker_stream_broken');
    await expect(answer.getAttribute('data-status')).resolves.toBe('error');
    await expect(answer.locator('.error-box').innerText()).resolves.toMatch(/Retry/);
    // the partial answer stays readable above the error
    await expect(answer.locator('.answer').innerText()).resolves.toContain('slowly');

    const second = await worker({ answer: 'Service is quick and friendly [r1].' });
    expect((await second.sendHeartbeat(server.url)).status).toBe(200);
    await answer.locator('button.retry').click();
    const retried = chat.locator('.message.assistant').last();
    await expect.poll(() => retried.getAttribute('data-status'), { timeout: 10_000 }).toBe('done');
    await expect(retried.locator('.answer').innerText()).resolves.toBe('Service is quick and friendly 1.');
    await expect(chat.locator('.message.assistant').count()).resolves.toBe(1);
    expect(second.calls.some((call) => call.path === '/v1/chat')).toBe(true);
    expect(problems).toEqual([]);
  });

  it('falls back to SSE when the WebSocket is cut, with the same rendering', async () => {
    const double = await worker({ tokenDelayMs: 60, answer: ANSWER });
    const server = await gateway({ workerUrls: [double.url] });
    const { page: chat, problems } = await page();
    // a proxy that accepts the upgrade and then drops the socket
    await chat.routeWebSocket(/\/ws\/chat$/, (socket) => {
      socket.onMessage(() => socket.close({ code: 1011, reason: 'proxy says no' }));
    });
    await openChat(chat, server.url);

    await ask(chat, 'Where is the pasta good?');
    const observed = await observeStreaming(chat);
    await doneAnswer(chat).waitFor();
    expect(observed.length).toBeGreaterThanOrEqual(2);
    await expect(chat.locator('.message.assistant .answer-details').last().innerText()).resolves.toContain('via SSE');
    await expect(chat.locator('.message.assistant .source').count()).resolves.toBe(2);
    await expect(chat.locator('.message.user .intent-name').innerText()).resolves.toBe('restaurant reviews');
    expect(double.calls.filter((call) => call.path === '/v1/chat')).toHaveLength(1);
    expect(problems).toEqual([]);
  });

  it('is keyboard usable: labelled composer, Shift+Enter for new lines, Esc stops, theme toggle remembered', async () => {
    const double = await worker({ tokenDelayMs: 150, answer: `${'long '.repeat(50)}end.` });
    const server = await gateway({ workerUrls: [double.url] });
    const { page: chat, problems } = await page();
    await openChat(chat, server.url);

    // the message box has an accessible name and has focus on load
    await expect(chat.getByLabel('Your question').evaluate((node) => node === document.activeElement)).resolves.toBe(true);

    // Tab walks header → suggestions → composer
    await chat.focus('.skip-link');
    const order: string[] = ['skip-link'];
    for (let step = 0; step < 7; step += 1) {
      await chat.keyboard.press('Tab');
      order.push(await chat.evaluate(() => {
        const active = document.activeElement as HTMLElement | null;
        return active?.id || active?.className || active?.tagName || '';
      }));
    }
    expect(order).toEqual(['skip-link', 'theme-toggle', 'new-chat', 'suggestion', 'suggestion', 'suggestion', 'message', 'send']);
    await chat.focus('#message');
    await chat.keyboard.type('line one');
    await chat.keyboard.press('Shift+Enter');
    await chat.keyboard.type('line two');
    await expect(chat.inputValue('#message')).resolves.toBe('line one\nline two');
    await expect(chat.locator('.message').count()).resolves.toBe(0);

    await chat.keyboard.press('Enter');
    await expect(chat.locator('.message.user .user-text').innerText()).resolves.toBe('line one\nline two');
    const answer = chat.locator('.message.assistant').last();
    await expect(answer.locator('.answer').getAttribute('aria-live')).resolves.toBe('polite');
    await expect.poll(async () => (await answer.locator('.answer').innerText()).includes('long long')).toBe(true);
    await expect(answer.locator('.answer').getAttribute('aria-busy')).resolves.toBe('true');
    await chat.keyboard.press('Escape');
    await expect.poll(() => answer.getAttribute('data-status')).toBe('stopped');
    await expect(answer.locator('.answer').getAttribute('aria-busy')).resolves.toBe('false');

    // the toggle switches to dark and the choice survives a reload
    await expect(chat.locator('html').getAttribute('data-theme')).resolves.toBe('light');
    await chat.click('#theme-toggle');
    await expect(chat.locator('html').getAttribute('data-theme')).resolves.toBe('dark');
    await expect(chat.locator('#theme-toggle').getAttribute('aria-pressed')).resolves.toBe('true');
    await chat.reload();
    await chat.waitForSelector('html[data-ready="true"]');
    await expect(chat.locator('html').getAttribute('data-theme')).resolves.toBe('dark');
    expect(problems).toEqual([]);
  });

  it('fits a phone screen without horizontal scrolling', async () => {
    const double = await worker({ answer: ANSWER });
    const server = await gateway({ workerUrls: [double.url] });
    const { page: chat, problems } = await page({ viewport: { width: 375, height: 740 } });
    await openChat(chat, server.url);
    await ask(chat, 'Where is the pasta good?');
    await doneAnswer(chat).waitFor();
    const overflow = await chat.evaluate(() => document.documentElement.scrollWidth - document.documentElement.clientWidth);
    expect(overflow).toBeLessThanOrEqual(0);
    const send = await chat.locator('#send').boundingBox();
    expect(send && send.x + send.width).toBeLessThanOrEqual(375);
    expect(problems).toEqual([]);
  });
});

/**
 * Runs in the page: WCAG contrast of each selector's first element against the first opaque
 * background behind it (walking up the ancestors).
 */
function contrastReport(selectors: string[]): Array<{ selector: string; ratio: number; color: string; background: string }> {
  const parse = (value: string): [number, number, number, number] => {
    const parts = value.match(/[\d.]+/g)?.map(Number) ?? [0, 0, 0, 0];
    return [parts[0] ?? 0, parts[1] ?? 0, parts[2] ?? 0, parts[3] ?? 1];
  };
  const luminance = ([r, g, b]: [number, number, number, number]) => {
    const channel = (value: number) => {
      const c = value / 255;
      return c <= 0.03928 ? c / 12.92 : ((c + 0.055) / 1.055) ** 2.4;
    };
    return 0.2126 * channel(r) + 0.7152 * channel(g) + 0.0722 * channel(b);
  };
  const report: Array<{ selector: string; ratio: number; color: string; background: string }> = [];
  for (const selector of selectors) {
    const element = document.querySelector(selector);
    if (!element) continue;
    const color = getComputedStyle(element).color;
    let background = 'rgb(255, 255, 255)';
    for (let node: Element | null = element; node; node = node.parentElement) {
      const candidate = getComputedStyle(node).backgroundColor;
      if (parse(candidate)[3] > 0.99 && !candidate.startsWith('rgba(0, 0, 0, 0')) {
        background = candidate;
        break;
      }
    }
    const [high, low] = [luminance(parse(color)), luminance(parse(background))].sort((a, b) => b - a) as [number, number];
    report.push({ selector, ratio: Math.round(((high + 0.05) / (low + 0.05)) * 100) / 100, color, background });
  }
  return report;
}

/**
 * Renders an answered question (sources, intent chip) in both themes without CSP problems, into a
 * temporary folder. The README's screenshots come from the real system instead (`npm run
 * screenshots`: `npm start` with the offline backend), not from this worker double.
 */
describe('chat UI screenshots', () => {
  it('saves light and dark screenshots of an answered question', async () => {
    const double = await worker({
      answer:
        'Reviewers love **Casa Olivo** for its *fresh pasta* and friendly staff [r1]. ' +
        'The one complaint is slow service on busy evenings, though the tiramisu makes up for it [r2].\n\n' +
        '- Food: fresh, generous pasta [r1]\n- Service: warm, but slow at peak times [r2]',
    });
    const server = await gateway();
    // announced by heartbeat as ready, so the badge shows "online" from the start
    expect((await double.sendHeartbeat(server.url)).status).toBe(200);
    const folder = await mkdtemp(join(tmpdir(), 'chat-shots-'));
    await mkdir(folder, { recursive: true });
    for (const scheme of ['light', 'dark'] as const) {
      const { page: chat, problems } = await page({ colorScheme: scheme, viewport: { width: 1100, height: 760 } });
      await openChat(chat, server.url);
      await expect.poll(() => chat.locator('#status-badge').getAttribute('data-state')).toBe('online');
      await ask(chat, 'Which place has the best pasta, and is the service good?');
      await doneAnswer(chat).waitFor();
      await chat.locator('#message').blur();
      const file = join(folder, scheme === 'light' ? 'chat.png' : 'chat-dark.png');
      await chat.screenshot({ path: file });
      expect((await stat(file)).size).toBeGreaterThan(10_000);
      expect(problems).toEqual([]);
    }
  });
});

describe('chat UI in Chromium with the real intent model (bundled artifact, production policy)', () => {
  /** The production gateway wiring (`startGateway`): the bundled CLINC150 artifact and `IntentRoutingPolicy`. */
  async function realGateway(workerUrl: string): Promise<string> {
    const dataDir = await mkdtemp(join(tmpdir(), 'chat-ui-real-intent-'));
    const config = loadGatewayConfig({ env: { PORT: '0', DATA_DIR: dataDir, WORKER_URLS: workerUrl, WORKER_SHARED_SECRET: SECRET } });
    const running = await startGateway(config, { logger: pino({ level: 'silent' }) });
    cleanups.push(() => running.close(100));
    await expect.poll(async () => (await fetch(`${running.url}/readyz`)).status, { timeout: 30_000 }).toBe(200);
    return running.url;
  }

  async function predicted(baseUrl: string, text: string): Promise<IntentResult> {
    const response = await fetch(`${baseUrl}/api/intent`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ text }) });
    return IntentResultSchema.parse(await response.json());
  }

  it('shows the model\'s own prediction on the chip, answers small talk itself and sends a review question to the worker', async () => {
    const double = await worker({ answer: 'Reviewers love the pasta [r1].' });
    const url = await realGateway(double.url);
    const { page: chat, problems } = await page();
    await openChat(chat, url);

    const greeting = 'hello there, how are you today?';
    const greetingPrediction = await predicted(url, greeting);
    expect(greetingPrediction.domain).toBe('small_talk');
    const expectedReply = new IntentRoutingPolicy().decide(
      { intent: greetingPrediction.intent, domain: greetingPrediction.domain, outOfScope: greetingPrediction.outOfScope, ranking: greetingPrediction.ranking },
      greeting,
    );
    expect(expectedReply.route).toBe('smalltalk');
    await ask(chat, greeting);
    await doneAnswer(chat).waitFor();
    await expect(lastAnswerText(chat)).resolves.toBe(expectedReply.reply);
    const greetingChip = chat.locator('.message.user .intent').last();
    await expect(greetingChip.getAttribute('data-route')).resolves.toBe('smalltalk');
    await expect(greetingChip.locator('.intent-name').innerText()).resolves.toBe(greetingPrediction.intent.name.replaceAll('_', ' '));
    await expect(greetingChip.locator('.intent-confidence').innerText()).resolves.toBe(`${Math.round(greetingPrediction.intent.confidence * 100)}%`);
    expect(double.calls.some((call) => call.path === '/v1/chat')).toBe(false);

    const question = 'what do the reviews say about the pasta at casa olivo';
    const questionPrediction = await predicted(url, question);
    expect(questionPrediction.domain).toBe('kitchen_and_dining');
    await ask(chat, question);
    await doneAnswer(chat).waitFor();
    const questionChip = chat.locator('.message.user .intent').last();
    await expect(questionChip.getAttribute('data-route')).resolves.toBe('worker');
    await expect(questionChip.locator('.intent-name').innerText()).resolves.toBe(questionPrediction.intent.name.replaceAll('_', ' '));
    await expect(questionChip.locator('.intent-confidence').innerText()).resolves.toBe(`${Math.round(questionPrediction.intent.confidence * 100)}%`);
    const call = await double.waitFor((candidate) => candidate.path === '/v1/chat');
    expect(call.intent).toBe(questionPrediction.intent.name);
    expect(problems).toEqual([]);
  });
});
