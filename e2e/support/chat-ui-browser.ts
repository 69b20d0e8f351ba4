import { chromium, type Browser, type BrowserContext, type Page } from 'playwright-core';

/** Debian's chromium package; the CI script installs it (`apt-get install chromium`). */
/** Set by the browser global setup (Debian's /usr/bin/chromium, or what it installed). */
export const CHROMIUM_PATH = process.env['CHROMIUM_PATH'] ?? '/usr/bin/chromium';

/**
 * Flags for a quiet, reproducible headless Chromium: no sandbox (containers), no GPU, no QUIC, no
 * first-run UI, no background networking/updates/sync. Playwright adds `--headless` and a fresh
 * temporary `--user-data-dir` per launch itself (it refuses `--user-data-dir` in `args`).
 */
export const CHROMIUM_ARGS = [
  '--no-sandbox',
  '--disable-gpu',
  '--disable-quic',
  '--no-first-run',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
];

export function launchChromium(): Promise<Browser> {
  return chromium.launch({ executablePath: CHROMIUM_PATH, headless: true, args: CHROMIUM_ARGS });
}

/** A page plus the problems it reported: uncaught errors, console errors and CSP violations. */
export interface WatchedPage {
  context: BrowserContext;
  page: Page;
  problems: string[];
}

export interface OpenPageOptions {
  colorScheme?: 'light' | 'dark';
  viewport?: { width: number; height: number };
  /** Context to reuse (to keep localStorage across pages); a fresh one otherwise. */
  context?: BrowserContext;
}

export async function openWatchedPage(browser: Browser, options: OpenPageOptions = {}): Promise<WatchedPage> {
  const context =
    options.context ??
    (await browser.newContext({
      viewport: options.viewport ?? { width: 1100, height: 820 },
      colorScheme: options.colorScheme ?? 'light',
      reducedMotion: 'reduce',
    }));
  const page = await context.newPage();
  const problems: string[] = [];
  page.on('pageerror', (error) => problems.push(`page error: ${error.message}`));
  page.on('console', (message) => {
    if (message.type() === 'error') problems.push(`console error: ${message.text()}`);
  });
  return { context, page, problems };
}

/** Loads the chat page and waits for the client script to have started. */
export async function openChat(page: Page, baseUrl: string): Promise<void> {
  await page.goto(`${baseUrl}/`);
  await page.waitForSelector('html[data-ready="true"]');
}

/** Types a question into the composer and presses Enter. */
export async function ask(page: Page, question: string): Promise<void> {
  await page.fill('#message', question);
  await page.press('#message', 'Enter');
}

/** The text of the last assistant answer. */
export function lastAnswerText(page: Page): Promise<string> {
  return page.locator('.message.assistant .answer').last().innerText();
}
