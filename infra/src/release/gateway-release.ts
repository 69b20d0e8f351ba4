import { execFile } from 'node:child_process';
import { cp, mkdir, mkdtemp, readFile, realpath, rm, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join, relative, resolve, sep } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';

const run = promisify(execFile);

/** The repository root (this file is `infra/src/release/gateway-release.ts`). */
export const REPO_ROOT = fileURLToPath(new URL('../../../', import.meta.url));

/** Where `npm run package:gateway -w infra` writes the tarball by default. */
export const DEFAULT_RELEASE_FILE = join(REPO_ROOT, 'infra', 'release', 'cloud-gateway.tgz');

/** What a release holds besides code: files read at run time, relative to `cloud-gateway/`. */
const GATEWAY_RUNTIME_FILES = [
  // the chat UI bundle written by `npm run build:ui -w cloud-gateway`
  'dist/public',
  // the bundled intent model (INTENT_MODEL_URI unset)
  'models/intent-model.bin.gz',
  // the intent test page, read from the package's src/ by the compiled routes too
  'src/intent/page',
];

/** Package files that never run: TypeScript sources and types, source maps, docs. */
const SKIPPED_PACKAGE_FILE = /(\.[cm]?tsx?|\.map|\.md|\.markdown)$|\/node_modules\/(@[^/]+\/)?[^/]+\/(test|tests|__tests__)(\/|$)/i;

export interface GatewayReleaseOptions {
  /** Tarball to write. @default infra/release/cloud-gateway.tgz */
  outFile?: string;
  /** Run the workspace builds first (tsc and the UI bundle). @default true */
  build?: boolean;
  /** Progress lines. @default console.log */
  log?: (line: string) => void;
}

export interface GatewayRelease {
  file: string;
  bytes: number;
  /** Paths inside the tarball's root that hold code or data, sorted (directories end in "/"). */
  entries: string[];
}

async function npm(args: string[]): Promise<string> {
  const { stdout } = await run('npm', args, { cwd: REPO_ROOT, maxBuffer: 64 * 1024 * 1024 });
  return stdout;
}

/**
 * The compiled files of the gateway and of its workspace packages that `dist/server.js` really
 * imports (statically or with a literal dynamic import), found by esbuild's module graph. Test
 * files, test helpers and the intent trainer are not reachable from the server, so they stay out.
 */
export async function reachableWorkspaceFiles(entry: string): Promise<string[]> {
  const esbuild = await import('esbuild');
  const result = await esbuild.build({
    entryPoints: [entry],
    absWorkingDir: REPO_ROOT,
    bundle: true,
    write: false,
    metafile: true,
    platform: 'node',
    format: 'esm',
    logLevel: 'silent',
    plugins: [
      {
        name: 'third-party-external',
        setup(build) {
          // npm packages come as whole directories; only the workspace's own modules are walked
          build.onResolve({ filter: /^[^./]/ }, (args) =>
            args.path.startsWith('@review-assistant/') ? undefined : { path: args.path, external: true },
          );
        },
      },
    ],
  });
  return Object.keys(result.metafile.inputs)
    .map((input) => resolve(REPO_ROOT, input))
    .sort();
}

/** Production dependency directories of the gateway workspace (npm's own resolution), absolute. */
async function productionPackageDirectories(): Promise<string[]> {
  // npm ls exits 1 on problems elsewhere in the tree (an extraneous package left by an older
  // install); the listing of the gateway's own tree on stdout is still complete. A missing
  // dependency of the gateway shows up when the smoke test starts the release.
  const listing = await npm(['ls', '--omit=dev', '--all', '--parseable', '--workspace', '@review-assistant/cloud-gateway']).catch((error: { stdout?: string; stderr?: string }) => {
    if (error.stdout && /ELSPROBLEMS/.test(error.stderr ?? '') && !/missing:/.test(error.stderr ?? '')) return error.stdout;
    throw error;
  });
  const root = resolve(REPO_ROOT);
  const directories: string[] = [];
  for (const line of listing.split('\n').map((entry) => entry.trim()).filter(Boolean)) {
    const directory = resolve(line);
    if (directory === root || !directory.includes(`${sep}node_modules${sep}`)) continue;
    // workspace links (node_modules/@review-assistant/*) are shipped from their build below
    if ((await realpath(directory)) !== directory) continue;
    directories.push(directory);
  }
  // a nested node_modules is copied with its parent package
  return directories.sort().filter((directory, index, all) => !all.slice(0, index).some((parent) => directory.startsWith(`${parent}${sep}`)));
}

/**
 * Builds the gateway release: a gzipped tarball that, unpacked into an empty directory, starts with
 * `node cloud-gateway/dist/server.js` from that directory with no install step. It holds the
 * compiled gateway modules the server imports, the chat UI bundle, the intent model and page, the
 * shared package's compiled modules and the production dependencies, and nothing else.
 */
export async function buildGatewayRelease(options: GatewayReleaseOptions = {}): Promise<GatewayRelease> {
  const log = options.log ?? ((line: string) => console.log(line));
  const outFile = resolve(options.outFile ?? DEFAULT_RELEASE_FILE);
  if (options.build ?? true) {
    log('release: compiling the gateway (npm run build -w cloud-gateway)');
    await npm(['run', 'build', '--workspace', '@review-assistant/cloud-gateway']);
    log('release: bundling the chat UI (npm run build:ui -w cloud-gateway)');
    await npm(['run', 'build:ui', '--workspace', '@review-assistant/cloud-gateway']);
  }
  const gatewayDir = join(REPO_ROOT, 'cloud-gateway');
  const sharedDir = join(REPO_ROOT, 'shared');
  const stage = await mkdtemp(join(tmpdir(), 'gateway-release-'));
  try {
    const copy = async (from: string, to: string, filter?: (source: string) => boolean) => {
      await mkdir(dirname(to), { recursive: true });
      await cp(from, to, { recursive: true, dereference: false, ...(filter ? { filter } : {}) });
    };
    for (const file of await reachableWorkspaceFiles(join(gatewayDir, 'dist', 'server.js'))) {
      if (file.startsWith(`${gatewayDir}${sep}`)) await copy(file, join(stage, 'cloud-gateway', relative(gatewayDir, file)));
      else if (file.startsWith(`${sharedDir}${sep}`)) await copy(file, join(stage, 'node_modules', '@review-assistant', 'shared', relative(sharedDir, file)));
      else throw new Error(`release: the gateway imports ${file}, outside cloud-gateway/ and shared/`);
    }
    for (const path of GATEWAY_RUNTIME_FILES) {
      const source = join(gatewayDir, path);
      await stat(source).catch(() => {
        throw new Error(`release: ${relative(REPO_ROOT, source)} is missing (build the UI with npm run build:ui -w cloud-gateway)`);
      });
      await copy(source, join(stage, 'cloud-gateway', path));
    }
    await copy(join(gatewayDir, 'package.json'), join(stage, 'cloud-gateway', 'package.json'));
    await copy(join(sharedDir, 'package.json'), join(stage, 'node_modules', '@review-assistant', 'shared', 'package.json'));
    const packages = await productionPackageDirectories();
    for (const directory of packages) {
      await copy(directory, join(stage, relative(REPO_ROOT, directory)), (source) => !SKIPPED_PACKAGE_FILE.test(source));
    }
    const commit = await run('git', ['rev-parse', 'HEAD'], { cwd: REPO_ROOT }).then(
      ({ stdout }) => stdout.trim(),
      () => 'unknown',
    );
    const rootManifest = JSON.parse(await readFile(join(REPO_ROOT, 'package.json'), 'utf8')) as { version?: string };
    await writeFile(
      join(stage, 'RELEASE.json'),
      JSON.stringify({ name: 'review-assistant-gateway', version: rootManifest.version ?? '0.0.0', commit, start: 'node cloud-gateway/dist/server.js', node: '>=22' }, null, 2) + '\n',
    );
    await mkdir(dirname(outFile), { recursive: true });
    // GNU tar: sorted, owner-less entries, so two builds of one commit differ only in mtimes
    await run('tar', ['--sort=name', '--owner=0', '--group=0', '--numeric-owner', '-czf', outFile, '-C', stage, '.'], { maxBuffer: 16 * 1024 * 1024 });
    const { stdout } = await run('tar', ['-tzf', outFile], { maxBuffer: 64 * 1024 * 1024 });
    const entries = stdout
      .split('\n')
      .map((entry) => entry.replace(/^\.\//, ''))
      .filter(Boolean)
      .sort();
    const bytes = (await stat(outFile)).size;
    log(`release: wrote ${relative(process.cwd(), outFile) || outFile} (${(bytes / 1024 / 1024).toFixed(1)} MiB, ${packages.length} packages)`);
    return { file: outFile, bytes, entries };
  } finally {
    await rm(stage, { recursive: true, force: true });
  }
}
