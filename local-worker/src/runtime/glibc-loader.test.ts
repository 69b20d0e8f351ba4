import { execFileSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { STAND_IN_GLIBC_VERSION, writeStandInDebianTools } from '../testing/glibc-stand-ins.js';
import { compareVersions, defaultGlibcCacheDir, isGlibcLoadError, needsNewerGlibc, prepareGlibcLoader } from './glibc-loader.js';

const repoRoot = resolve(fileURLToPath(new URL('.', import.meta.url)), '../../..');

describe('glibc version checks', () => {
  it('compares dotted versions numerically', () => {
    expect(compareVersions('2.36', '2.39')).toBeLessThan(0);
    expect(compareVersions('2.41', '2.39')).toBeGreaterThan(0);
    expect(compareVersions('2.39', '2.39')).toBe(0);
    expect(compareVersions('2.4', '2.39')).toBeLessThan(0);
  });

  it('asks for the newer loader only below glibc 2.39 and never off glibc', () => {
    expect(needsNewerGlibc('2.36')).toBe(true);
    expect(needsNewerGlibc('2.39')).toBe(false);
    expect(needsNewerGlibc('2.41')).toBe(false);
    expect(needsNewerGlibc(undefined)).toBe(false);
  });

  it('recognises the dynamic linker refusing the bindings', () => {
    expect(isGlibcLoadError("/lib/x86_64-linux-gnu/libc.so.6: version `GLIBC_2.39' not found (required by chromadb.node)")).toBe(true);
    expect(isGlibcLoadError("version `GLIBCXX_3.4.32' not found")).toBe(true);
    expect(isGlibcLoadError('Error: listen EADDRINUSE')).toBe(false);
  });

  it('keeps the loader cache in the project folder, where git ignores it', () => {
    const cacheDir = defaultGlibcCacheDir();
    expect(cacheDir).toBe(join(repoRoot, '.cache', 'trixie-glibc'));
    // exits 0 when the path is ignored
    expect(() => execFileSync('git', ['check-ignore', '-q', join(cacheDir, 'ready.json')], { cwd: repoRoot })).not.toThrow();
  });
});

describe('prepareGlibcLoader (stand-in apt-get and dpkg, so it runs on any host)', () => {
  let folder: string;
  let path: string | undefined;
  beforeEach(async () => {
    folder = await mkdtemp(join(tmpdir(), 'glibc-loader-'));
    path = process.env.PATH;
    await writeStandInDebianTools(join(folder, 'bin'), join(folder, 'calls.log'));
    process.env.PATH = `${join(folder, 'bin')}:${path ?? ''}`;
  });
  afterEach(async () => {
    process.env.PATH = path;
    await rm(folder, { recursive: true, force: true });
  });
  const calls = async () => (await readFile(join(folder, 'calls.log'), 'utf8').catch(() => '')).trim().split('\n').filter(Boolean);

  it('downloads the three packages with a private apt state, unpacks them, probes the loader and caches it', async () => {
    const keyring = join(folder, 'debian-archive-keyring.gpg');
    await writeFile(keyring, '');
    const cacheDir = join(folder, 'cache');
    const loader = await prepareGlibcLoader({ cacheDir, keyring });
    expect(loader.glibcVersion).toBe(STAND_IN_GLIBC_VERSION);
    expect(loader.loaderPath.startsWith(join(cacheDir, 'sysroot', 'usr', 'lib'))).toBe(true);
    expect(loader.libraryPath).toBe(dirname(loader.loaderPath));
    expect(existsSync(loader.loaderPath)).toBe(true);

    const [update, download, ...unpacks] = await calls();
    for (const call of [update, download]) {
      // nothing of the system's apt state is read or written
      expect(call).toContain('-o Dir::Etc::SourceList=/dev/null');
      expect(call).toContain(`-o Dir::State::Lists=${join(cacheDir, 'apt', 'lists')}`);
      expect(call).toContain(`-o Dir::Cache=${join(cacheDir, 'apt', 'cache')}`);
    }
    expect(update).toMatch(/ -q update$/);
    expect(download).toMatch(/ -q download libc6 libstdc\+\+6 libgcc-s1$/);
    expect(unpacks).toHaveLength(3);
    for (const unpack of unpacks) expect(unpack).toMatch(new RegExp(`^dpkg -x \\S+\\.deb ${join(cacheDir, 'sysroot.partial')}$`));
    expect(JSON.parse(await readFile(join(cacheDir, 'ready.json'), 'utf8'))).toMatchObject({ glibcVersion: STAND_IN_GLIBC_VERSION });
    // the download and unpack folders are gone, the finished sysroot stays
    expect(existsSync(join(cacheDir, 'apt'))).toBe(false);
    expect(existsSync(join(cacheDir, 'sysroot.partial'))).toBe(false);

    // cached: a second call runs neither tool
    expect(await prepareGlibcLoader({ cacheDir, keyring })).toEqual(loader);
    expect(await calls()).toHaveLength(5);
  });

  it('refuses without the Debian archive keyring, naming the package to install, and runs nothing', async () => {
    const cacheDir = join(folder, 'cache');
    await expect(prepareGlibcLoader({ cacheDir, keyring: join(folder, 'absent.gpg') })).rejects.toThrow(/absent\.gpg is missing: .*apt-get install debian-archive-keyring/);
    expect(await calls()).toEqual([]);
    expect(existsSync(join(cacheDir, 'ready.json'))).toBe(false);
  });
});
