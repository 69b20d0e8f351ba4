// Docs that match the code: every `npm run …` command and every repository path that README.md,
// docs/*.md and infra/README.md name must exist. Last round DEPLOY.md named a packaging script that
// was never committed; this test would have failed on it.
import { execFile } from 'node:child_process';
import { existsSync } from 'node:fs';
import { readdir, readFile } from 'node:fs/promises';
import { dirname, join, normalize, relative } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { describe, expect, it } from 'vitest';

const run = promisify(execFile);
const repoRoot = fileURLToPath(new URL('../../', import.meta.url));

async function documents(): Promise<string[]> {
  const docs = (await readdir(join(repoRoot, 'docs'))).filter((name) => name.endsWith('.md')).map((name) => `docs/${name}`);
  return ['README.md', 'infra/README.md', ...docs];
}

interface Manifest {
  name: string;
  scripts?: Record<string, string>;
  workspaces?: string[];
}

async function manifests(): Promise<{ root: Manifest; workspaces: Map<string, Manifest> }> {
  const root = JSON.parse(await readFile(join(repoRoot, 'package.json'), 'utf8')) as Manifest;
  const workspaces = new Map<string, Manifest>();
  for (const folder of root.workspaces ?? []) {
    const manifest = JSON.parse(await readFile(join(repoRoot, folder, 'package.json'), 'utf8')) as Manifest;
    // `-w infra` and `-w @review-assistant/infra` both name it
    workspaces.set(folder, manifest);
    workspaces.set(manifest.name, manifest);
  }
  return { root, workspaces };
}

/** `npm run <script> [-w <workspace>]`, `npm start`, `npm test`: the command's script and workspace. */
export function npmCommands(markdown: string): { script: string; workspace: string | undefined; text: string }[] {
  const found: { script: string; workspace: string | undefined; text: string }[] = [];
  for (const match of markdown.matchAll(/\bnpm (?:run(?:-script)?\s+(?:--silent\s+)?([\w:.-]+)|(start|test))((?:\s+(?:-w|--workspace)(?:\s+|=)[@\w/.-]+)*)/g)) {
    const script = (match[1] ?? match[2]) as string;
    const workspace = /(?:-w|--workspace)(?:\s+|=)([@\w/.-]+)/.exec(match[3] ?? '')?.[1];
    found.push({ script, workspace, text: match[0] });
  }
  return found;
}

const TOP_LEVEL = /^(shared|local-worker|cloud-gateway|scripts|infra|e2e|faults|docs|data|\.github|\.ci)\//;
const ROOT_FILES = /^(README\.md|BENCHMARKS\.md|package\.json|package-lock\.json|docker-compose\.yml|\.env\.example|tsconfig\.json|vitest\.config\.ts|\.nvmrc|\.dockerignore)$/;

/**
 * Repository paths a document names: in `code spans` (a path to a file or folder of this
 * repository: one of its top-level folders, a root file, or a path relative to the document's
 * folder with an extension) and in relative Markdown links.
 */
export function pathReferences(markdown: string): string[] {
  const found = new Set<string>();
  const consider = (raw: string, link = false) => {
    const path = raw.replace(/[#?].*$/, '').replace(/[),.:;]+$/, '');
    if (!path || /^[a-z]+:/i.test(path) || path.startsWith('/') || path.startsWith('~') || /[<>*{}$ ]|\.\.\.|…/.test(path)) return;
    // placeholders such as DATA_DIR/chroma.json name a configured folder, not a repository path
    if (/^[A-Z][A-Z_]+\//.test(path)) return;
    if (link || TOP_LEVEL.test(path) || ROOT_FILES.test(path) || /^(\.\.?\/)/.test(path) || /^[\w.-]+\/[\w./-]+\.\w+$/.test(path)) found.add(path);
  };
  for (const [, span] of markdown.matchAll(/`([^`\n]+)`/g)) {
    const text = span as string;
    // a code span may hold a command: look at each word
    for (const word of text.split(/\s+/)) consider(word);
  }
  for (const [, target] of markdown.matchAll(/\]\(([^)\s]+)\)/g)) consider(target as string, true);
  // an S3 key the document also shows as s3://<bucket>/<key> is not a repository path
  for (const [, key] of markdown.matchAll(/s3:\/\/[^/\s`]+\/([^\s`)]+)/g)) found.delete(key as string);
  return [...found];
}

async function ignoredByGit(path: string): Promise<boolean> {
  return run('git', ['check-ignore', '--no-index', '-q', path], { cwd: repoRoot }).then(
    () => true,
    () => false,
  );
}

describe('the documentation', async () => {
  const files = await documents();
  const { root, workspaces } = await manifests();
  const tracked = (await run('git', ['ls-files'], { cwd: repoRoot, maxBuffer: 64 * 1024 * 1024 })).stdout.split('\n').filter(Boolean);
  const trackedFolders = new Set(tracked.flatMap((file) => file.split('/').slice(0, -1).map((_part, index, parts) => parts.slice(0, index + 1).join('/'))));
  /** A path relative to some folder of the repository (docs about a workspace name its modules as `routes/chat.ts`). */
  const existsSomewhere = (path: string) => {
    const clean = path.replace(/\/$/, '');
    return tracked.some((file) => file === clean || file.endsWith(`/${clean}`)) || [...trackedFolders].some((folder) => folder === clean || folder.endsWith(`/${clean}`));
  };

  it('is found (README.md, infra/README.md, docs/*.md)', () => {
    expect(files).toEqual(expect.arrayContaining(['README.md', 'infra/README.md', 'docs/DEPLOY.md', 'docs/ARCHITECTURE.md']));
  });

  it.each(files)('%s names only npm scripts that exist', async (file) => {
    const markdown = await readFile(join(repoRoot, file), 'utf8');
    const missing = npmCommands(markdown)
      .filter(({ script, workspace }) => {
        const manifest = workspace ? workspaces.get(workspace) : root;
        return manifest?.scripts?.[script] === undefined;
      })
      .map(({ text }) => text);
    expect(missing).toEqual([]);
  });

  it.each(files)('%s names only files and folders that exist (or build outputs the ignore rules cover)', async (file) => {
    const markdown = await readFile(join(repoRoot, file), 'utf8');
    const missing: string[] = [];
    for (const path of pathReferences(markdown)) {
      const fromDocument = normalize(join(dirname(file), path));
      const candidates = [fromDocument, normalize(path)].filter((candidate) => !candidate.startsWith('..'));
      if (candidates.some((candidate) => existsSync(join(repoRoot, candidate)))) continue;
      // the data sets outside the repository (DESIGN.md: ../shared/data, read by tests and benchmarks)
      if (/^(\.\.\/)+shared\/data\//.test(path)) continue;
      if (!path.startsWith('..') && existsSomewhere(path)) continue;
      // documented outputs (infra/release/cloud-gateway.tgz, dist/…) are ignored, not committed
      if (await ignoredByGit(normalize(path))) continue;
      missing.push(path);
    }
    expect(missing).toEqual([]);
  });

  it('checks real references (the extractors find what the docs name)', async () => {
    const deploy = await readFile(join(repoRoot, 'docs/DEPLOY.md'), 'utf8');
    expect(npmCommands(deploy).map(({ script, workspace }) => `${script}@${workspace ?? 'root'}`)).toContain('package:gateway@infra');
    expect(pathReferences(deploy)).toEqual(expect.arrayContaining(['infra/scripts/rollout.sh', 'infra/src/release/package-gateway.ts']));
    expect(npmCommands('run `npm run package:gateway -w infra` then `npm run --silent ingest -- x.csv` and `npm test`').map(({ script, workspace }) => [script, workspace])).toEqual([
      ['package:gateway', 'infra'],
      ['ingest', undefined],
      ['test', undefined],
    ]);
    expect(pathReferences('see `infra/src/release/package-gateway.ts`, [deploy](DEPLOY.md#costs), `/opt/review-assistant`, `s3://b/k`, <https://x.dev/a.md>')).toEqual([
      'infra/src/release/package-gateway.ts',
      'DEPLOY.md',
    ]);
    expect(relative(repoRoot, repoRoot)).toBe('');
  });
});
