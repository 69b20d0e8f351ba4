import { execFile } from 'node:child_process';
import { mkdtemp, readdir, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, sep } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { afterAll, describe, expect, it } from 'vitest';

const run = promisify(execFile);
const root = fileURLToPath(new URL('../../', import.meta.url));
const tsc = join(root, 'node_modules', 'typescript', 'bin', 'tsc');

describe('the production build of the gateway (cloud-gateway/tsconfig.json, what `npm run build` emits)', () => {
  let outDir: string | undefined;
  afterAll(async () => {
    if (outDir) await rm(outDir, { recursive: true, force: true });
  });

  it('emits the server and no test, test helper, fixture, trainer or CLINC data', async () => {
    outDir = await mkdtemp(join(tmpdir(), 'gateway-build-'));
    // the same project as `npm run build -w cloud-gateway`, emitted into a fresh directory so that
    // stale files of an older build in cloud-gateway/dist cannot hide or fake anything
    await run(process.execPath, [tsc, '-b', 'shared'], { cwd: root, timeout: 300_000 });
    await run(process.execPath, [tsc, '-p', 'cloud-gateway/tsconfig.json', '--outDir', outDir, '--tsBuildInfoFile', join(outDir, '.tsbuildinfo')], {
      cwd: root,
      timeout: 300_000,
    });
    const files = (await readdir(outDir, { recursive: true, withFileTypes: true }))
      .filter((entry) => entry.isFile())
      .map((entry) => join(entry.parentPath, entry.name).slice(outDir!.length + 1).split(sep).join('/'));

    expect(files).toContain('server.js');
    expect(files).toContain('intent/artifact-classifier.js');
    expect(files.filter((file) => file.includes('.test.'))).toEqual([]);
    expect(files.filter((file) => file.split('/').includes('testing'))).toEqual([]);
    expect(files.filter((file) => /fixture/i.test(file))).toEqual([]);
    expect(files.filter((file) => /train|clinc/i.test(file))).toEqual([]);
    // data files: the build emits only what the code imports, and the gateway imports none
    expect(files.filter((file) => file.endsWith('.json'))).toEqual([]);
  }, 600_000);
});
