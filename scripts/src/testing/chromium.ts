import { execFile } from 'node:child_process';
import { accessSync, constants } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { promisify } from 'node:util';

/** Debian's browser, which the browser tests drive through playwright-core. */
export const DEBIAN_CHROMIUM = '/usr/bin/chromium';

/** The one command that gives a Debian or Ubuntu machine the browser the tests need. */
export const INSTALL_HINT = 'sudo apt-get install -y chromium   (or set CHROMIUM_PATH to a Chromium/Chrome binary)';

export interface ChromiumHost {
  env: Record<string, string | undefined>;
  isExecutable(path: string): boolean;
  /** Runs a command; rejects when it exits non-zero. */
  run(command: string, args: string[]): Promise<void>;
  isRoot: boolean;
  hasCommand(name: string): Promise<boolean>;
  /** Where playwright-core keeps its own download of Chromium (it may not exist yet). */
  playwrightChromium(): string;
  /** `playwright-core install chromium`: downloads Playwright's Chromium build. */
  installPlaywrightChromium(): Promise<void>;
  log(line: string): void;
}

/**
 * Finds the browser for the browser tests, installing it when it can: CHROMIUM_PATH, then Debian's
 * /usr/bin/chromium, then `apt-get install chromium` (as root or with password-less sudo), then
 * Playwright's own Chromium download. When nothing works it fails at once with the one command
 * that fixes it, instead of letting each browser test fail with "executable doesn't exist".
 */
export async function findOrInstallChromium(host: ChromiumHost): Promise<string> {
  const configured = host.env['CHROMIUM_PATH'];
  if (configured) {
    if (host.isExecutable(configured)) return configured;
    throw new Error(`CHROMIUM_PATH=${configured} is not an executable file. Fix it, or unset it and run: ${INSTALL_HINT}`);
  }
  if (host.isExecutable(DEBIAN_CHROMIUM)) return DEBIAN_CHROMIUM;
  const attempts: string[] = [];
  if (await host.hasCommand('apt-get')) {
    const canInstall = host.isRoot || (await host.hasCommand('sudo'));
    if (canInstall) {
      const apt = (args: string[]) => (host.isRoot ? host.run('apt-get', args) : host.run('sudo', ['-n', 'apt-get', ...args]));
      host.log('browser tests: installing Debian\'s chromium (apt-get install -y chromium)');
      try {
        await apt(['update', '-q']);
        await apt(['install', '-y', '-q', 'chromium']);
        if (host.isExecutable(DEBIAN_CHROMIUM)) return DEBIAN_CHROMIUM;
        attempts.push('apt-get installed no /usr/bin/chromium');
      } catch (error) {
        attempts.push(`apt-get failed: ${error instanceof Error ? error.message.split('\n')[0] : String(error)}`);
      }
    } else {
      attempts.push('apt-get needs root or password-less sudo');
    }
  }
  host.log('browser tests: downloading Playwright\'s Chromium (npx playwright-core install chromium)');
  try {
    await host.installPlaywrightChromium();
    const downloaded = host.playwrightChromium();
    if (host.isExecutable(downloaded)) return downloaded;
    attempts.push(`Playwright's download left no ${downloaded}`);
  } catch (error) {
    attempts.push(`Playwright's download failed: ${error instanceof Error ? error.message.split('\n')[0] : String(error)}`);
  }
  throw new Error(`The browser tests need Chromium and none could be installed (${attempts.join('; ')}). Run: ${INSTALL_HINT}`);
}

const run = promisify(execFile);

/** The real machine. */
export async function nodeChromiumHost(log: (line: string) => void = (line) => console.log(line)): Promise<ChromiumHost> {
  const { chromium } = await import('playwright-core');
  return {
    env: process.env,
    isExecutable(path) {
      try {
        accessSync(path, constants.X_OK);
        return true;
      } catch {
        return false;
      }
    },
    async run(command, args) {
      await run(command, args, { env: { ...process.env, DEBIAN_FRONTEND: 'noninteractive' }, maxBuffer: 64 * 1024 * 1024 });
    },
    isRoot: process.getuid?.() === 0,
    async hasCommand(name) {
      return run('sh', ['-c', `command -v ${name}`]).then(
        () => true,
        () => false,
      );
    },
    playwrightChromium: () => chromium.executablePath(),
    async installPlaywrightChromium() {
      const cli = join(dirname(createRequire(import.meta.url).resolve('playwright-core/package.json')), 'cli.js');
      await run(process.execPath, [cli, 'install', 'chromium'], { maxBuffer: 64 * 1024 * 1024 });
    },
    log,
  };
}
