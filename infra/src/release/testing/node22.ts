import { execFile } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdir, rename, rm } from 'node:fs/promises';
import { join } from 'node:path';
import { promisify } from 'node:util';

const run = promisify(execFile);

/** The Node release the production images and the EC2 unit run (AL2023's nodejs22, node:22 images). */
export const NODE22_VERSION = '22.23.5';

/**
 * A real Node 22 binary for the release smoke test, so the release is booted by the Node that
 * production runs, not by the Node 20 the tests run on. It comes from the npm registry's
 * `node-<platform>-<arch>` package (the binary the `node` npm package installs), fetched once with
 * `npm pack` into `<cacheDir>/<version>/` and reused.
 */
export async function node22Binary(cacheDir: string): Promise<string> {
  const folder = join(cacheDir, NODE22_VERSION);
  const binary = join(folder, 'package', 'bin', 'node');
  if (existsSync(binary)) return binary;
  const staging = `${folder}.partial-${process.pid}`;
  await rm(staging, { recursive: true, force: true });
  await mkdir(staging, { recursive: true });
  const name = `node-${process.platform}-${process.arch}@${NODE22_VERSION}`;
  const { stdout } = await run('npm', ['pack', name, '--silent', '--pack-destination', staging], { maxBuffer: 16 * 1024 * 1024 });
  const tarball = join(staging, stdout.trim().split('\n').at(-1) as string);
  await run('tar', ['-xzf', tarball, '-C', staging, 'package/bin/node', 'package/LICENSE']);
  await rm(tarball);
  // another test process may have finished first: keep whichever copy arrived
  await rename(staging, folder).catch(async () => rm(staging, { recursive: true, force: true }));
  return binary;
}
