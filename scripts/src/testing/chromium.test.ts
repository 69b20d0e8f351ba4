import { describe, expect, it } from 'vitest';
import { DEBIAN_CHROMIUM, findOrInstallChromium, INSTALL_HINT, type ChromiumHost } from './chromium.js';

/** A machine described by what is installed; commands install what they would install. */
function machine(options: { installed?: string[]; commands?: string[]; root?: boolean; env?: Record<string, string>; aptWorks?: boolean; downloadWorks?: boolean }) {
  const installed = new Set(options.installed ?? []);
  const ran: string[] = [];
  const host: ChromiumHost = {
    env: options.env ?? {},
    isExecutable: (path) => installed.has(path),
    async run(command, args) {
      ran.push([command, ...args].join(' '));
      if (!(options.aptWorks ?? true)) throw new Error('E: Unable to locate package chromium');
      if (args.includes('install')) installed.add(DEBIAN_CHROMIUM);
    },
    isRoot: options.root ?? false,
    hasCommand: async (name) => (options.commands ?? []).includes(name),
    playwrightChromium: () => '/home/dev/.cache/ms-playwright/chromium/chrome',
    async installPlaywrightChromium() {
      ran.push('playwright-core install chromium');
      if (!(options.downloadWorks ?? true)) throw new Error('getaddrinfo ENOTFOUND cdn.playwright.dev');
      installed.add('/home/dev/.cache/ms-playwright/chromium/chrome');
    },
    log: () => {},
  };
  return { host, ran };
}

describe('findOrInstallChromium', () => {
  it('uses Debian\'s chromium when it is there, installing nothing', async () => {
    const { host, ran } = machine({ installed: [DEBIAN_CHROMIUM], commands: ['apt-get'] });
    expect(await findOrInstallChromium(host)).toBe(DEBIAN_CHROMIUM);
    expect(ran).toEqual([]);
  });

  it('honours CHROMIUM_PATH, and says so when it points nowhere', async () => {
    expect(await findOrInstallChromium(machine({ installed: ['/opt/chrome'], env: { CHROMIUM_PATH: '/opt/chrome' } }).host)).toBe('/opt/chrome');
    await expect(findOrInstallChromium(machine({ env: { CHROMIUM_PATH: '/nope' } }).host)).rejects.toThrow('CHROMIUM_PATH=/nope is not an executable file');
  });

  it('installs Debian\'s chromium through apt as root, or through password-less sudo', async () => {
    const asRoot = machine({ commands: ['apt-get'], root: true });
    expect(await findOrInstallChromium(asRoot.host)).toBe(DEBIAN_CHROMIUM);
    expect(asRoot.ran).toEqual(['apt-get update -q', 'apt-get install -y -q chromium']);
    const withSudo = machine({ commands: ['apt-get', 'sudo'] });
    expect(await findOrInstallChromium(withSudo.host)).toBe(DEBIAN_CHROMIUM);
    expect(withSudo.ran).toEqual(['sudo -n apt-get update -q', 'sudo -n apt-get install -y -q chromium']);
  });

  it('falls back to Playwright\'s download where apt cannot help (macOS, no sudo, no package)', async () => {
    const mac = machine({ commands: [] });
    expect(await findOrInstallChromium(mac.host)).toBe('/home/dev/.cache/ms-playwright/chromium/chrome');
    expect(mac.ran).toEqual(['playwright-core install chromium']);
    const noPackage = machine({ commands: ['apt-get'], root: true, aptWorks: false });
    expect(await findOrInstallChromium(noPackage.host)).toBe('/home/dev/.cache/ms-playwright/chromium/chrome');
  });

  it('fails at once with the one command that fixes it when nothing works', async () => {
    const offline = machine({ commands: ['apt-get'], downloadWorks: false });
    await expect(findOrInstallChromium(offline.host)).rejects.toThrow(INSTALL_HINT);
    await expect(findOrInstallChromium(offline.host)).rejects.toThrow('apt-get needs root or password-less sudo');
  });
});
