import { execFileSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { compareVersions, hostNeedsNewerGlibc, defaultGlibcCacheDir, isGlibcLoadError, needsNewerGlibc, prepareGlibcLoader, runtimeGlibcVersion } from './glibc-loader.js';

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

describe.runIf(hostNeedsNewerGlibc())('prepareGlibcLoader on this old-glibc host', () => {
  it('provides a loader that runs Node with glibc 2.39 or newer', async () => {
    const loader = await prepareGlibcLoader();
    expect(existsSync(loader.loaderPath)).toBe(true);
    expect(compareVersions(loader.glibcVersion, '2.39')).toBeGreaterThanOrEqual(0);
    expect(compareVersions(loader.glibcVersion, runtimeGlibcVersion() ?? '0')).toBeGreaterThan(0);
  });
});
