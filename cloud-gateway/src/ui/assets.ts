import { createHash } from 'node:crypto';
import { existsSync } from 'node:fs';
import { mkdir, readFile, writeFile } from 'node:fs/promises';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

/** One file the chat UI serves. */
export interface UiAsset {
  body: string;
  contentType: string;
  /** Strong ETag from the content hash. */
  etag: string;
}

/** The chat UI's files keyed by file name: `index.html`, `app.js`, `styles.css`, `favicon.svg`. */
export type UiAssets = ReadonlyMap<string, UiAsset>;

/** Where the UI's files come from; `load()` is called once, lazily, and its result cached. */
export interface UiAssetSource {
  readonly description: string;
  load(): Promise<UiAssets>;
}

/** Static files copied as they are (the client scripts are bundled separately). */
const STATIC_FILES = ['index.html', 'styles.css', 'favicon.svg'] as const;
/** Bundled scripts and their entry points under `src/ui/`: the chat UI, the admin analytics page. */
const SCRIPT_ENTRIES = { 'app.js': 'client/main.ts', 'analytics.js': 'analytics/main.ts' } as const;
export const UI_FILES = [...STATIC_FILES, ...(Object.keys(SCRIPT_ENTRIES) as (keyof typeof SCRIPT_ENTRIES)[])] as const;

const contentTypes: Record<string, string> = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.svg': 'image/svg+xml',
};

const moduleDir = dirname(fileURLToPath(import.meta.url));
/** `cloud-gateway/` whether this module runs from `src/ui/` (tsx, vitest) or `dist/ui/` (compiled). */
const packageDir = resolve(moduleDir, '..', '..');
/** Sources: `src/ui/static/*` and the client entry `src/ui/client/main.ts`. */
export const UI_SOURCE_DIR = join(packageDir, 'src', 'ui');
/** Output of `npm run build:ui -w cloud-gateway`, served by the compiled gateway. */
export const UI_PREBUILT_DIR = join(packageDir, 'dist', 'public');

function asset(name: string, body: string): UiAsset {
  const extension = name.slice(name.lastIndexOf('.'));
  return {
    body,
    contentType: contentTypes[extension] ?? 'application/octet-stream',
    etag: `"${createHash('sha256').update(body).digest('base64url').slice(0, 27)}"`,
  };
}

/**
 * Bundles one browser script (default: the chat client) with esbuild's API, in memory, with its
 * libraries (Chart.js for the analytics page). esbuild is a devDependency, imported only here, so
 * a production install that serves prebuilt files never needs it.
 */
export async function bundleClient(sourceDir: string = UI_SOURCE_DIR, entry: string = SCRIPT_ENTRIES['app.js']): Promise<string> {
  const esbuild = await import('esbuild');
  const result = await esbuild.build({
    entryPoints: [join(sourceDir, entry)],
    bundle: true,
    write: false,
    format: 'esm',
    platform: 'browser',
    target: ['es2022', 'chrome111', 'firefox111', 'safari16'],
    minify: true,
    legalComments: 'none',
    charset: 'utf8',
    conditions: ['development'],
    logLevel: 'silent',
  });
  const output = result.outputFiles[0];
  if (!output) throw new Error(`esbuild produced no output for ${entry}`);
  return output.text;
}

/** Reads the static files from `src/ui/static` and bundles the client: used when running from sources. */
export function sourceUiAssets(sourceDir: string = UI_SOURCE_DIR): UiAssetSource {
  return {
    description: `sources in ${sourceDir} (bundled in-process with esbuild)`,
    async load() {
      const assets = new Map<string, UiAsset>();
      for (const name of STATIC_FILES) {
        assets.set(name, asset(name, await readFile(join(sourceDir, 'static', name), 'utf8')));
      }
      for (const [name, entry] of Object.entries(SCRIPT_ENTRIES)) assets.set(name, asset(name, await bundleClient(sourceDir, entry)));
      return assets;
    },
  };
}

/** Reads files written by {@link writeUiBundle}: used by the compiled gateway in the image. */
export function prebuiltUiAssets(directory: string = UI_PREBUILT_DIR): UiAssetSource {
  return {
    description: `prebuilt files in ${directory}`,
    async load() {
      const assets = new Map<string, UiAsset>();
      for (const name of UI_FILES) assets.set(name, asset(name, await readFile(join(directory, name), 'utf8')));
      return assets;
    },
  };
}

/**
 * The one place that picks where the UI comes from. Running from TypeScript sources (`npm start`,
 * `npm run gateway`, tests): bundle the sources in-process, so a clean checkout needs no build step
 * and an edit shows up on restart. Running compiled JavaScript (the production image): serve the
 * prebuilt `dist/public`, falling back to the sources when that was not built.
 */
export function defaultUiAssets(): UiAssetSource {
  const runningFromSources = resolve(moduleDir) === resolve(UI_SOURCE_DIR);
  if (!runningFromSources && existsSync(join(UI_PREBUILT_DIR, 'app.js'))) return prebuiltUiAssets();
  return sourceUiAssets();
}

/** Writes the bundled UI to `directory` (what the production image serves). Returns the files written. */
export async function writeUiBundle(directory: string = UI_PREBUILT_DIR): Promise<string[]> {
  const assets = await sourceUiAssets().load();
  await mkdir(directory, { recursive: true });
  const written: string[] = [];
  for (const [name, file] of assets) {
    const path = join(directory, name);
    await writeFile(path, file.body);
    written.push(path);
  }
  return written;
}
