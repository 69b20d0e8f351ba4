import { commandLine, isRunning } from './process-tree.js';
import { readFileSync } from 'node:fs';

function parentOf(pid: number): number | undefined {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    const ppid = Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1]);
    return Number.isInteger(ppid) && ppid > 1 ? ppid : undefined;
  } catch {
    return undefined;
  }
}

/** True for the wrapper processes between a user and `start.ts`: npm, npx, `sh -c`, the tsx CLI. */
export function isLauncher(args: string[]): boolean {
  const [program = '', first = ''] = args;
  const name = program.split('/').pop() ?? '';
  if (name === 'npm' || name === 'npx' || name === 'tsx') return true;
  if ((name === 'sh' || name === 'dash' || name === 'bash') && first === '-c') return true;
  if (name === 'node' || name.startsWith('node')) {
    return /(^|\/)(npm-cli|npx-cli)\.js$|(^|\/)\.bin\/tsx$|tsx\/dist\/cli\.m?js$|(^|\/)bin\/(npm|npx)$/.test(first);
  }
  return false;
}

/**
 * The ancestors of this process that only wrap it (`npm start` → `sh -c` → `tsx` → start.ts).
 * npm does not pass SIGTERM on to its script, so `kill <npm pid>` would leave the whole system
 * running under a surviving tsx; watching these pids lets `npm start` stop when its launcher dies.
 * Linux only (empty elsewhere).
 */
export function launcherChain(pid: number = process.pid): number[] {
  const chain: number[] = [];
  let current = parentOf(pid);
  while (current !== undefined && chain.length < 8) {
    const args = commandLine(current);
    if (args === undefined || !isLauncher(args)) break;
    chain.push(current);
    current = parentOf(current);
  }
  return chain;
}

/** Calls `onGone` once, when any pid of `chain` has exited. The timer never keeps the process alive. */
export function watchLauncherChain(chain: number[], onGone: (pid: number) => void, intervalMs = 1_000): () => void {
  if (chain.length === 0) return () => {};
  const timer = setInterval(() => {
    const gone = chain.find((pid) => !isRunning(pid));
    if (gone !== undefined) {
      clearInterval(timer);
      onGone(gone);
    }
  }, intervalMs);
  timer.unref();
  return () => clearInterval(timer);
}
