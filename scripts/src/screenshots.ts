/**
 * `npm run screenshots`: the README's screenshots, taken from the real system. Starts `npm start`
 * exactly as a user does (embedded Chroma, the sample reviews ingested, the worker with its offline
 * backend, the gateway with the bundled intent model) on free ports with a fresh DATA_DIR, asks a
 * question in Chromium, and writes docs/chat.png, docs/chat-dark.png and docs/intent.png. Stops
 * the whole process tree afterwards. Needs Chromium (CHROMIUM_PATH, or /usr/bin/chromium).
 */
import { spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdtemp, rm, stat } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { chromium, type Page } from 'playwright-core';
import { findFreePort } from '@review-assistant/local-worker';

const repoRoot = fileURLToPath(new URL('../../', import.meta.url));
const QUESTION = 'Which restaurant has good vegan options, and how is the service?';

async function main(): Promise<void> {
  const { values } = parseArgs({ options: { out: { type: 'string', default: join(repoRoot, 'docs') } } });
  const out = values.out as string;
  const dataDir = await mkdtemp(join(tmpdir(), 'screenshots-'));
  const port = await findFreePort();
  const env: NodeJS.ProcessEnv = {
    ...process.env,
    PORT: String(port),
    WORKER_PORT: String(await findFreePort()),
    INSPECTOR_PORT: String(await findFreePort()),
    DATA_DIR: dataDir,
    MODEL_BACKEND: 'offline',
    WORKER_SHARED_SECRET: randomBytes(32).toString('hex'),
    NO_COLOR: '1',
  };
  for (const name of ['CHROMA_URL', 'NGROK_AUTHTOKEN', 'NGROK_DOMAIN', 'WORKER_URLS', 'GATEWAY_URL']) delete env[name];
  console.log(`screenshots: npm start (offline backend, DATA_DIR=${dataDir})`);
  const system = spawn('npm', ['start'], { cwd: repoRoot, env, detached: true, stdio: ['ignore', 'pipe', 'pipe'] });
  let output = '';
  system.stdout?.on('data', (chunk: Buffer) => (output += chunk.toString()));
  system.stderr?.on('data', (chunk: Buffer) => (output += chunk.toString()));
  const browser = await chromium.launch({ executablePath: process.env['CHROMIUM_PATH'] ?? '/usr/bin/chromium', args: ['--no-sandbox', '--disable-gpu'] });
  try {
    const deadline = Date.now() + 240_000;
    while (!output.includes('ready: open') && system.exitCode === null && Date.now() < deadline) await sleep(200);
    if (!output.includes('ready: open')) throw new Error(`npm start did not become ready:\n${output}`);
    const url = `http://127.0.0.1:${port}`;
    for (const scheme of ['light', 'dark'] as const) {
      const context = await browser.newContext({ viewport: { width: 1100, height: 760 }, colorScheme: scheme, reducedMotion: 'reduce' });
      const page: Page = await context.newPage();
      await page.goto(`${url}/`);
      await page.waitForSelector('html[data-ready="true"]');
      await page.waitForSelector('#status-badge[data-state="online"]', { timeout: 60_000 });
      await page.fill('#message', QUESTION);
      await page.press('#message', 'Enter');
      await page.locator('.message.assistant[data-status="done"]').last().waitFor({ timeout: 60_000 });
      await page.locator('#message').blur();
      const file = join(out, scheme === 'light' ? 'chat.png' : 'chat-dark.png');
      await page.screenshot({ path: file });
      console.log(`screenshots: wrote ${file} (${(await stat(file)).size} bytes)`);
      await context.close();
    }
    const context = await browser.newContext({ viewport: { width: 1000, height: 820 }, reducedMotion: 'reduce' });
    const page = await context.newPage();
    await page.goto(`${url}/intent`);
    await page.fill('#text', 'what do people say about the biryani at paradise?');
    await page.locator('#ranking li').first().waitFor({ timeout: 30_000 });
    await page.locator('#model-info').waitFor({ state: 'visible', timeout: 30_000 });
    const file = join(out, 'intent.png');
    await page.screenshot({ path: file, fullPage: true });
    console.log(`screenshots: wrote ${file} (${(await stat(file)).size} bytes)`);
  } finally {
    await browser.close();
    // npm start stops its whole tree on SIGINT (Ctrl-C), like a user in a terminal
    const signal = (name: NodeJS.Signals) => {
      try {
        if (system.pid !== undefined) process.kill(-system.pid, name);
      } catch {
        // the group is gone already
      }
    };
    if (system.exitCode === null) {
      signal('SIGINT');
      const deadline = Date.now() + 30_000;
      while (system.exitCode === null && Date.now() < deadline) await sleep(200);
      if (system.exitCode === null) signal('SIGKILL');
    }
    await rm(dataDir, { recursive: true, force: true });
  }
}

try {
  await main();
} catch (error) {
  console.error(`screenshots failed: ${error instanceof Error ? error.message : String(error)}`);
  process.exit(1);
}
