import { execFile } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { type Server, createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { GATEWAY_NODE_OPTIONS, NonceCache, verifyRequest } from '@review-assistant/shared';
import { afterEach, describe, expect, it } from 'vitest';
import { bootOptions } from './testing/boot-options.js';
import { renderGatewayEnvironment } from './user-data.js';

const repoRoot = fileURLToPath(new URL('../../', import.meta.url));
const run = promisify(execFile);

interface Instruction {
  keyword: string;
  args: string;
}
interface Stage {
  from: string;
  name: string | undefined;
  instructions: Instruction[];
}

/** Splits a Dockerfile into stages of instructions (continuations joined, comments dropped). */
function parseDockerfile(text: string): { args: Record<string, string>; stages: Stage[] } {
  const logical: string[] = [];
  let pending = '';
  for (const raw of text.split('\n')) {
    const line = raw.trim();
    if (line.startsWith('#') || (line === '' && pending === '')) continue;
    if (line.endsWith('\\')) {
      pending += `${line.slice(0, -1)} `;
      continue;
    }
    logical.push(pending + line);
    pending = '';
  }
  const args: Record<string, string> = {};
  const stages: Stage[] = [];
  for (const line of logical) {
    const [keyword = '', ...rest] = line.split(/\s+/);
    const instruction = { keyword: keyword.toUpperCase(), args: rest.join(' ') };
    if (instruction.keyword === 'FROM') {
      const [from = '', as, name] = rest;
      stages.push({ from, name: as?.toUpperCase() === 'AS' ? name : undefined, instructions: [] });
    } else if (stages.length === 0 && instruction.keyword === 'ARG') {
      const [name = '', value = ''] = instruction.args.split('=');
      args[name] = value;
    } else {
      stages.at(-1)?.instructions.push(instruction);
    }
  }
  return { args, stages };
}

/** The base image a stage really runs on, following `FROM <stage>` and `FROM ${ARG}`. */
function baseImage(dockerfile: ReturnType<typeof parseDockerfile>, stage: Stage): string {
  const from = stage.from.replace(/^\$\{(\w+)\}$/, (_match, name: string) => dockerfile.args[name] ?? '');
  const parent = dockerfile.stages.find((candidate) => candidate.name === from);
  return parent ? baseImage(dockerfile, parent) : from;
}

const instructionsOf = (stage: Stage, keyword: string) => stage.instructions.filter((instruction) => instruction.keyword === keyword);

const images = [
  { file: 'cloud-gateway/Dockerfile', workspace: 'cloud-gateway', port: '8080' },
  { file: 'local-worker/Dockerfile', workspace: 'local-worker', port: '8787' },
] as const;

describe.each(images)('$file', async ({ file, workspace, port }) => {
  const dockerfile = parseDockerfile(await readFile(`${repoRoot}${file}`, 'utf8'));
  const runtime = dockerfile.stages.at(-1) as Stage;

  it('builds and runs on Node 22 LTS in every stage', () => {
    expect(dockerfile.stages.length).toBeGreaterThanOrEqual(3);
    for (const stage of dockerfile.stages) expect(baseImage(dockerfile, stage)).toMatch(/^node:22[.-]/);
  });

  it('installs with npm ci, compiles with tsc -b and ships production dependencies only', () => {
    const runs = dockerfile.stages.flatMap((stage) => instructionsOf(stage, 'RUN').map((instruction) => instruction.args));
    expect(runs.some((command) => command.includes('npm ci') && command.includes(`--workspace ${workspace}`))).toBe(true);
    const manifest = JSON.parse(readFileSync(`${repoRoot}${workspace}/package.json`, 'utf8')) as { scripts: Record<string, string> };
    expect(manifest.scripts['build']).toMatch(/^tsc -b\b/);
    const runtimeSources = instructionsOf(runtime, 'COPY').map((instruction) => instruction.args);
    if (workspace === 'cloud-gateway') {
      // the EC2 release's own builder (it runs `npm run build -w cloud-gateway` and keeps production
      // dependencies only; infra/src/release/gateway-release.test.ts boots what it builds)
      expect(runs.some((command) => command.includes('npm run package:gateway -w infra'))).toBe(true);
      expect(readFileSync(`${repoRoot}infra/src/release/gateway-release.ts`, 'utf8')).toContain("'run', 'build', '--workspace', '@review-assistant/cloud-gateway'");
      expect(runtimeSources).toContain('--from=build /release/ ./');
      expect(instructionsOf(runtime, 'RUN').some((instruction) => instruction.args.includes('npm '))).toBe(false);
      return;
    }
    // compiled by the workspace's own build script, which is `tsc -b`
    expect(runs.some((command) => command.includes(`npm run build -w ${workspace}`))).toBe(true);
    expect(runs.some((command) => command.includes('npm ci') && command.includes('--omit=dev'))).toBe(true);
    const fromStage = (copy: string) => copy.match(/--from=(\S+)/)?.[1];
    const nodeModules = runtimeSources.filter((copy) => copy.includes('node_modules'));
    expect(nodeModules.length).toBeGreaterThan(0);
    for (const copy of nodeModules) expect(fromStage(copy)).toBe('production-dependencies');
    expect(instructionsOf(runtime, 'RUN').some((instruction) => instruction.args.includes('npm ci'))).toBe(false);
  });

  it('runs as the unprivileged node user', () => {
    const users = instructionsOf(runtime, 'USER').map((instruction) => instruction.args);
    expect(users.at(-1)).toBe('node');
    const lastUser = runtime.instructions.findLastIndex((instruction) => instruction.keyword === 'USER');
    const laterRoot = runtime.instructions.slice(lastUser + 1).filter((instruction) => instruction.keyword === 'RUN');
    expect(laterRoot).toEqual([]);
  });

  it(`starts ${workspace}/dist/server.js with a HEALTHCHECK`, () => {
    expect(instructionsOf(runtime, 'CMD').at(-1)?.args).toBe(`["node", "${workspace}/dist/server.js"]`);
    expect(instructionsOf(runtime, 'HEALTHCHECK')).toHaveLength(1);
    expect(instructionsOf(runtime, 'EXPOSE').map((instruction) => instruction.args)).toEqual([port]);
  });

  it('copies only files that exist and are not excluded by .dockerignore', async () => {
    const ignore = (await readFile(`${repoRoot}.dockerignore`, 'utf8')).split('\n').map((line) => line.trim());
    const sources = dockerfile.stages
      .flatMap((stage) => instructionsOf(stage, 'COPY'))
      .filter((instruction) => !instruction.args.includes('--from='))
      .flatMap((instruction) => instruction.args.split(/\s+/).slice(0, -1));
    expect(sources.length).toBeGreaterThan(5);
    for (const source of sources) {
      expect(existsSync(`${repoRoot}${source}`), `${source} exists`).toBe(true);
      const topLevel = source.split('/')[0] ?? '';
      expect(ignore, `${source} is excluded`).not.toContain(`/${topLevel}`);
      expect(ignore, `${source} is excluded`).not.toContain(topLevel);
    }
  });
});

describe('cloud-gateway/Dockerfile runtime', () => {
  it('starts the gateway with the production Node flags, the ones the EC2 unit uses (shared GATEWAY_NODE_OPTIONS)', async () => {
    const dockerfile = parseDockerfile(await readFile(`${repoRoot}cloud-gateway/Dockerfile`, 'utf8'));
    const env = instructionsOf(dockerfile.stages.at(-1) as Stage, 'ENV').map((instruction) => instruction.args).join(' ');
    expect(/NODE_OPTIONS="([^"]*)"/.exec(env)?.[1]).toBe(GATEWAY_NODE_OPTIONS);
    expect(renderGatewayEnvironment(bootOptions('alb'))).toContain(`NODE_OPTIONS=${GATEWAY_NODE_OPTIONS}\n`);
  });
});

describe('.dockerignore', () => {
  it('keeps dependencies, build output, git history, local data and .env out of the build context', async () => {
    const ignore = (await readFile(`${repoRoot}.dockerignore`, 'utf8')).split('\n').map((line) => line.trim());
    expect(ignore).toEqual(expect.arrayContaining(['**/node_modules', '**/dist', '.git', '/data', '.env']));
  });
});

describe('image healthchecks (run for real against a local server)', () => {
  let server: Server | undefined;
  afterEach(async () => {
    await new Promise<void>((resolve) => (server ? server.close(() => resolve()) : resolve()));
    server = undefined;
  });

  async function listen(handler: Parameters<typeof createServer>[1]): Promise<number> {
    server = createServer(handler);
    await new Promise<void>((resolve) => server?.listen(0, '127.0.0.1', resolve));
    return (server?.address() as AddressInfo).port;
  }

  async function exitCode(command: string, args: string[], env: Record<string, string>): Promise<number> {
    try {
      await run(command, args, { env: { PATH: process.env['PATH'] ?? '', ...env }, cwd: repoRoot, timeout: 20_000 });
      return 0;
    } catch (error) {
      return (error as { code?: number }).code ?? -1;
    }
  }

  it('the gateway probe passes on 200 from /healthz and fails otherwise', async () => {
    const dockerfile = parseDockerfile(await readFile(`${repoRoot}cloud-gateway/Dockerfile`, 'utf8'));
    const healthcheck = instructionsOf(dockerfile.stages.at(-1) as Stage, 'HEALTHCHECK')[0]?.args ?? '';
    const command = JSON.parse(healthcheck.slice(healthcheck.indexOf('CMD') + 3).trim()) as string[];
    expect(command.slice(0, 2)).toEqual(['node', '-e']);
    let status = 200;
    const paths: string[] = [];
    const port = await listen((request, response) => {
      paths.push(request.url ?? '');
      response.writeHead(status).end('{}');
    });
    expect(await exitCode('node', command.slice(1), { PORT: String(port) })).toBe(0);
    status = 503;
    expect(await exitCode('node', command.slice(1), { PORT: String(port) })).toBe(1);
    expect(paths).toEqual(['/healthz', '/healthz']);
  });

  it('the worker probe signs GET /v1/health and fails on a wrong secret', async () => {
    const secret = 'healthcheck-secret-0123456789';
    const nonceCache = new NonceCache();
    const port = await listen((request, response) => {
      try {
        verifyRequest({
          secret,
          method: request.method ?? '',
          path: request.url ?? '',
          body: undefined,
          header: (name) => request.headers[name.toLowerCase()] as string | undefined,
          nonceCache,
        });
        response.writeHead(request.url === '/v1/health' ? 200 : 404).end('{"status":"ok"}');
      } catch {
        response.writeHead(401).end('{"error":{"code":"unauthorized","message":"bad signature"}}');
      }
    });
    const probe = ['node_modules/.bin/tsx', ['--conditions=development', 'infra/docker/worker-healthcheck.mjs']] as const;
    expect(await exitCode(probe[0], [...probe[1]], { WORKER_SHARED_SECRET: secret, WORKER_PORT: String(port) })).toBe(0);
    expect(await exitCode(probe[0], [...probe[1]], { WORKER_SHARED_SECRET: 'another-secret-0123456789', WORKER_PORT: String(port) })).toBe(1);
    expect(await exitCode(probe[0], [...probe[1]], { WORKER_PORT: String(port) })).toBe(1);
  });
});
