import { spawn } from 'node:child_process';
import { describe, expect, it, vi } from 'vitest';
import { isLauncher, launcherChain, watchLauncherChain } from './launcher-chain.js';
import { listDescendants } from './process-tree.js';

describe('isLauncher', () => {
  it('recognises npm, sh -c and the tsx CLI as wrappers', () => {
    expect(isLauncher(['npm', 'start'])).toBe(true);
    expect(isLauncher(['/usr/bin/node', '/usr/lib/node_modules/npm/bin/npm-cli.js', 'start'])).toBe(true);
    expect(isLauncher(['sh', '-c', 'tsx --conditions=development scripts/src/start.ts'])).toBe(true);
    expect(isLauncher(['node', '/work/main/node_modules/.bin/tsx', 'scripts/src/start.ts'])).toBe(true);
  });

  it('stops at an interactive shell, a test runner or init', () => {
    expect(isLauncher(['-bash'])).toBe(false);
    expect(isLauncher(['bash'])).toBe(false);
    expect(isLauncher(['/usr/bin/node', '/work/main/node_modules/vitest/dist/workers/forks.js'])).toBe(false);
    expect(isLauncher(['/sbin/init'])).toBe(false);
  });
});

describe('launcherChain', () => {
  it('finds the sh -c wrapper above a child, and nothing above a test worker', async () => {
    expect(launcherChain()).toEqual([]);
    // sh -c with two commands cannot exec the last one, so the shell stays as the wrapper
    const shell = spawn('sh', ['-c', 'sleep 30; true'], { stdio: 'ignore' });
    try {
      // the shell forks its child asynchronously: poll until it is there
      const sleeper = await vi.waitFor(
        () => {
          const [child] = listDescendants(shell.pid as number);
          if (child === undefined) throw new Error('sh has not started its child yet');
          return child;
        },
        { timeout: 10_000, interval: 20 },
      );
      expect(launcherChain(sleeper)).toEqual([shell.pid]);
    } finally {
      shell.kill('SIGKILL');
    }
  });

  it('reports the wrapper that exits', async () => {
    const wrapper = spawn('sh', ['-c', 'sleep 0.3; true'], { stdio: 'ignore' });
    const gone = await new Promise<number>((resolve) => watchLauncherChain([wrapper.pid as number], resolve, 50));
    expect(gone).toBe(wrapper.pid);
  });
});
