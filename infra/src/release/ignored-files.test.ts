import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { describe, expect, it } from 'vitest';
import { REPO_ROOT } from './gateway-release.js';

const run = promisify(execFile);
const lines = (text: string) => text.split('\n').filter(Boolean);

// Last round `infra/.gitignore` said `release/`, which also matched `infra/src/release/`: the
// packaging script was documented and wired into package.json but never committed.
describe('ignore rules', () => {
  it('match no committed file (an ignore rule that covers code hides the next file added beside it)', async () => {
    const { stdout } = await run('git', ['ls-files', '--cached', '--ignored', '--exclude-standard'], { cwd: REPO_ROOT });
    expect(lines(stdout)).toEqual([]);
  });

  it('hide no file under a workspace src/ folder, e2e/, .github/ or .ci/', async () => {
    const folders = ['shared/src', 'local-worker/src', 'cloud-gateway/src', 'scripts/src', 'infra/src', 'infra/scripts', 'e2e', '.github', '.ci'];
    const { stdout } = await run('git', ['ls-files', '--others', '--ignored', '--exclude-standard', '--', ...folders], { cwd: REPO_ROOT });
    expect(lines(stdout)).toEqual([]);
  });

  it('would not hide a new file in the packaging folder', async () => {
    const probe = 'infra/src/release/new-module.ts';
    // check-ignore exits 1 when the path is not ignored
    await expect(run('git', ['check-ignore', '--no-index', probe], { cwd: REPO_ROOT })).rejects.toMatchObject({ code: 1 });
  });
});
