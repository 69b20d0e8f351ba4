import { execFile } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdir, readdir, readFile, rename, rm, writeFile } from 'node:fs/promises';
import { createRequire } from 'node:module';
import { join, sep } from 'node:path';
import { promisify } from 'node:util';
import { withFileLock } from './file-lock.js';

const execFileAsync = promisify(execFile);

/** The smallest logger the launcher needs; a pino logger fits. */
export interface LauncherLogger {
  info(message: string): void;
  warn(message: string): void;
}

export const silentLogger: LauncherLogger = { info() {}, warn() {} };

/** The Rust bindings in `chromadb-js-bindings-linux-*-gnu` 1.x are linked against glibc 2.39. */
export const REQUIRED_GLIBC_VERSION = '2.39';

/** The Debian release whose libc6 is new enough (trixie ships 2.41). */
const DEBIAN_SUITE = 'trixie';
const DEBIAN_MIRROR = 'http://deb.debian.org/debian';
const DEBIAN_KEYRING = '/usr/share/keyrings/debian-archive-keyring.gpg';
const PACKAGES = ['libc6', 'libstdc++6', 'libgcc-s1'];

const ARCHITECTURES: Record<string, { debian: string; triplet: string; loader: string }> = {
  x64: { debian: 'amd64', triplet: 'x86_64-linux-gnu', loader: 'ld-linux-x86-64.so.2' },
  arm64: { debian: 'arm64', triplet: 'aarch64-linux-gnu', loader: 'ld-linux-aarch64.so.1' },
};

/** How to start a program under the newer glibc: `<loaderPath> --library-path <libraryPath> <program> ...`. */
export interface GlibcLoader {
  loaderPath: string;
  libraryPath: string;
  /** glibc version the loader provides, e.g. "2.41". */
  glibcVersion: string;
}

/** glibc version of this Node process, or undefined off glibc (macOS, Windows, musl). */
export function runtimeGlibcVersion(): string | undefined {
  const report = process.report?.getReport() as { header?: { glibcVersionRuntime?: unknown } } | undefined;
  const version = report?.header?.glibcVersionRuntime;
  return typeof version === 'string' ? version : undefined;
}

/** Compares dotted versions numerically: negative when a < b. */
export function compareVersions(a: string, b: string): number {
  const left = a.split('.').map((part) => Number.parseInt(part, 10) || 0);
  const right = b.split('.').map((part) => Number.parseInt(part, 10) || 0);
  for (let index = 0; index < Math.max(left.length, right.length); index += 1) {
    const difference = (left[index] ?? 0) - (right[index] ?? 0);
    if (difference !== 0) return difference;
  }
  return 0;
}

/** True for a glibc older than {@link REQUIRED_GLIBC_VERSION} (Debian 12 has 2.36); false off glibc (undefined). */
export function needsNewerGlibc(version: string | undefined): boolean {
  return version !== undefined && compareVersions(version, REQUIRED_GLIBC_VERSION) < 0;
}

/** True when this host runs Node on a glibc older than {@link REQUIRED_GLIBC_VERSION}. */
export function hostNeedsNewerGlibc(): boolean {
  return needsNewerGlibc(runtimeGlibcVersion());
}

/** True when a failed start's output is the dynamic linker refusing the bindings. */
export function isGlibcLoadError(output: string): boolean {
  return /GLIBC_\d+\.\d+'? not found|GLIBCXX_\d[\d.]*'? not found|CXXABI_\d[\d.]*'? not found/.test(output);
}

/**
 * `<project>/.cache/trixie-glibc`: kept between runs and across `npm ci` (which empties
 * node_modules), ignored by git (`.cache/`), one per checkout.
 */
export function defaultGlibcCacheDir(): string {
  return join(chromadbPackageDir(), '..', '..', '.cache', 'trixie-glibc');
}

/** The installed `chromadb` package folder (`.../node_modules/chromadb`). */
export function chromadbPackageDir(): string {
  const entry = createRequire(import.meta.url).resolve('chromadb');
  const marker = `${sep}node_modules${sep}chromadb${sep}`;
  const index = entry.lastIndexOf(marker);
  if (index < 0) throw new Error(`Cannot locate the chromadb package from ${entry}.`);
  return entry.slice(0, index + marker.length - 1);
}

/** Options of {@link prepareGlibcLoader}. */
export interface PrepareGlibcLoaderOptions {
  /** @default {@link defaultGlibcCacheDir} */
  cacheDir?: string | undefined;
  logger?: LauncherLogger | undefined;
  /** Debian archive keyring that signs the trixie packages. @default /usr/share/keyrings/debian-archive-keyring.gpg */
  keyring?: string | undefined;
}

function architecture() {
  const entry = ARCHITECTURES[process.arch];
  if (entry === undefined) throw new Error(`No Debian glibc loader for the ${process.arch} architecture.`);
  return entry;
}

function loaderIn(sysroot: string): Omit<GlibcLoader, 'glibcVersion'> {
  const { triplet, loader } = architecture();
  const libraryPath = join(sysroot, 'usr', 'lib', triplet);
  return { loaderPath: join(libraryPath, loader), libraryPath };
}

async function run(command: string, args: string[], cwd?: string): Promise<string> {
  try {
    const { stdout } = await execFileAsync(command, args, { cwd, maxBuffer: 32 * 1024 * 1024, env: { ...process.env, LC_ALL: 'C' } });
    return stdout;
  } catch (error) {
    const failure = error as { stderr?: string; message: string };
    const detail = (failure.stderr ?? '').trim().split('\n').slice(-5).join('\n');
    throw new Error(`${command} ${args.slice(-3).join(' ')} failed: ${detail || failure.message}`, { cause: error });
  }
}

/** Asks the loader which glibc it runs Node with; also proves that the loader works. */
async function probe(loader: Omit<GlibcLoader, 'glibcVersion'>): Promise<string> {
  const stdout = await run(loader.loaderPath, [
    '--library-path',
    loader.libraryPath,
    process.execPath,
    '-e',
    'process.stdout.write(String(process.report.getReport().header.glibcVersionRuntime))',
  ]);
  return stdout.trim();
}

async function readyLoader(cacheDir: string): Promise<GlibcLoader | undefined> {
  const marker = join(cacheDir, 'ready.json');
  if (!existsSync(marker)) return undefined;
  const loader = loaderIn(join(cacheDir, 'sysroot'));
  if (!existsSync(loader.loaderPath)) return undefined;
  try {
    const recorded = JSON.parse(await readFile(marker, 'utf8')) as { glibcVersion?: unknown };
    if (typeof recorded.glibcVersion === 'string') return { ...loader, glibcVersion: recorded.glibcVersion };
  } catch {
    // a broken marker means a broken cache: prepare again
  }
  return undefined;
}

/**
 * Makes sure a Debian 13 glibc (libc6, libstdc++6, libgcc-s1) is unpacked under `cacheDir` and
 * returns how to run Node with it. Downloads with `apt-get download` from a private sources list,
 * lists and cache dir (the system's apt state is not touched, nothing is installed), unpacks with
 * `dpkg -x`. Cached: later calls return at once. Concurrent callers (several test files, several
 * CLIs) are serialized with a lock file; only the first one downloads.
 */
export async function prepareGlibcLoader(options: PrepareGlibcLoaderOptions = {}): Promise<GlibcLoader> {
  const cacheDir = options.cacheDir ?? defaultGlibcCacheDir();
  const logger = options.logger ?? silentLogger;
  const cached = await readyLoader(cacheDir);
  if (cached !== undefined) return cached;
  await mkdir(cacheDir, { recursive: true });
  return withFileLock(join(cacheDir, 'prepare.lock'), async () => {
    const again = await readyLoader(cacheDir);
    if (again !== undefined) return again;
    logger.info(`glibc ${runtimeGlibcVersion() ?? '?'} is older than ${REQUIRED_GLIBC_VERSION}: fetching the Debian ${DEBIAN_SUITE} C library into ${cacheDir} (one time, ~4 MB)`);
    const keyring = options.keyring ?? DEBIAN_KEYRING;
    if (!existsSync(keyring)) {
      throw new Error(`${keyring} is missing: install the Debian archive keys first (apt-get install debian-archive-keyring).`);
    }
    const { debian } = architecture();
    const apt = join(cacheDir, 'apt');
    const debs = join(cacheDir, 'debs');
    const staging = join(cacheDir, 'sysroot.partial');
    await rm(apt, { recursive: true, force: true });
    await rm(debs, { recursive: true, force: true });
    await rm(staging, { recursive: true, force: true });
    for (const directory of ['sources.list.d', 'preferences.d', 'lists/partial', 'cache/archives/partial']) {
      await mkdir(join(apt, directory), { recursive: true });
    }
    await mkdir(debs, { recursive: true });
    await writeFile(
      join(apt, 'sources.list.d', `${DEBIAN_SUITE}.sources`),
      `Types: deb\nURIs: ${DEBIAN_MIRROR}\nSuites: ${DEBIAN_SUITE}\nComponents: main\nSigned-By: ${keyring}\n`,
    );
    const aptOptions = [
      ['Dir::Etc::SourceList', '/dev/null'],
      ['Dir::Etc::SourceParts', join(apt, 'sources.list.d')],
      ['Dir::Etc::Preferences', '/dev/null'],
      ['Dir::Etc::PreferencesParts', join(apt, 'preferences.d')],
      ['Dir::State::Lists', join(apt, 'lists')],
      ['Dir::Cache', join(apt, 'cache')],
      ['APT::Architecture', debian],
      ['APT::Architectures', debian],
      ['Acquire::Languages', 'none'],
      // apt's download sandbox user cannot write into a root-owned project folder
      ...(process.getuid?.() === 0 ? [['APT::Sandbox::User', 'root']] : []),
    ].flatMap(([key, value]) => ['-o', `${key}=${value}`]);
    await run('apt-get', [...aptOptions, '-q', 'update']);
    await run('apt-get', [...aptOptions, '-q', 'download', ...PACKAGES], debs);
    const files = (await readdir(debs)).filter((name) => name.endsWith('.deb'));
    if (files.length < PACKAGES.length) throw new Error(`apt-get download fetched ${files.length} of ${PACKAGES.length} packages.`);
    for (const file of files) await run('dpkg', ['-x', join(debs, file), staging]);
    const glibcVersion = await probe(loaderIn(staging)).catch((error: unknown) => {
      throw new Error(`The unpacked Debian ${DEBIAN_SUITE} loader does not run Node.`, { cause: error });
    });
    // the library path is baked into nothing, so the finished tree can be moved into place
    await rm(join(cacheDir, 'sysroot'), { recursive: true, force: true });
    await rename(staging, join(cacheDir, 'sysroot'));
    await writeFile(join(cacheDir, 'ready.json'), `${JSON.stringify({ glibcVersion, packages: files, preparedAt: new Date().toISOString() }, null, 2)}\n`);
    await rm(apt, { recursive: true, force: true });
    await rm(debs, { recursive: true, force: true });
    logger.info(`glibc ${glibcVersion} loader ready in ${cacheDir}`);
    return { ...loaderIn(join(cacheDir, 'sysroot')), glibcVersion };
  });
}
