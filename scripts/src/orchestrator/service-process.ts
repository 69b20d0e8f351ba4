import { spawn, type ChildProcess } from 'node:child_process';
import { createInterface } from 'node:readline';
import { setTimeout as sleep } from 'node:timers/promises';
import { fileURLToPath } from 'node:url';
import { createPrefixedPrinter, type ServiceColor } from './log-lines.js';

/** What to run: a TypeScript entry point, under Node with tsx's loader. */
export interface ServiceSpec {
  /** Shown as the `[name]` log prefix. */
  name: string;
  color: ServiceColor;
  /** Absolute path of the `.ts` entry point. */
  entry: string;
  args?: string[];
  env: NodeJS.ProcessEnv;
  /** Folder that holds node_modules/tsx (the repository root). */
  cwd: string;
}

export interface ServiceExit {
  code: number | null;
  signal: NodeJS.Signals | null;
}

/** A running child service. */
export interface ServiceProcess {
  readonly name: string;
  readonly pid: number;
  readonly child: ChildProcess;
  /** Resolves when the process has exited (never rejects). */
  readonly exited: Promise<ServiceExit>;
  /** The last lines it printed (for error messages). */
  readonly recentOutput: string[];
  isRunning(): boolean;
  /** SIGTERM, then SIGKILL after `graceMs`; resolves once the process is gone. */
  stop(graceMs?: number): Promise<ServiceExit>;
}

const exitWithParent = fileURLToPath(new URL('./exit-with-parent.ts', import.meta.url));

/**
 * Starts `node --import tsx --conditions=development <entry>` with prefixed, coloured output.
 * Runs `process.execPath` directly (no npm or tsx wrapper process), so the pid we hold is the
 * service itself and a signal reaches it without relays. A preload ends the service if this
 * process dies without stopping it.
 */
export function startService(spec: ServiceSpec, write?: (text: string) => void): ServiceProcess {
  const print = createPrefixedPrinter(spec.name, spec.color, write);
  const child = spawn(
    process.execPath,
    ['--import', 'tsx', '--import', exitWithParent, '--conditions=development', spec.entry, ...(spec.args ?? [])],
    { cwd: spec.cwd, env: spec.env, stdio: ['ignore', 'pipe', 'pipe'] },
  );
  const recentOutput: string[] = [];
  for (const stream of [child.stdout, child.stderr]) {
    createInterface({ input: stream }).on('line', (line) => {
      recentOutput.push(line);
      if (recentOutput.length > 40) recentOutput.shift();
      print(line);
    });
  }
  const exited = new Promise<ServiceExit>((resolve) => {
    child.once('exit', (code, signal) => resolve({ code, signal }));
    child.once('error', (error) => {
      print(`failed to start: ${error.message}`);
      resolve({ code: -1, signal: null });
    });
  });
  const isRunning = () => child.exitCode === null && child.signalCode === null;
  const stop = async (graceMs = 5_000): Promise<ServiceExit> => {
    if (isRunning()) {
      child.kill('SIGTERM');
      const outcome = await Promise.race([exited, sleep(graceMs).then(() => undefined)]);
      if (outcome === undefined && isRunning()) {
        print(`did not stop within ${graceMs} ms; sending SIGKILL`);
        child.kill('SIGKILL');
      }
    }
    return exited;
  };
  if (child.pid === undefined) {
    // spawn failed synchronously (e.g. ENOENT); 'error' follows
    return { name: spec.name, pid: -1, child, exited, recentOutput, isRunning, stop };
  }
  return { name: spec.name, pid: child.pid, child, exited, recentOutput, isRunning, stop };
}

/** Polls `probe` until it resolves true; fails early when the service exits, or after `timeoutMs`. */
export async function waitUntilReady(
  service: ServiceProcess,
  probe: () => Promise<boolean>,
  options: { timeoutMs: number; what: string; intervalMs?: number; signal?: AbortSignal | undefined },
): Promise<void> {
  const deadline = Date.now() + options.timeoutMs;
  while (Date.now() < deadline) {
    options.signal?.throwIfAborted();
    if (!service.isRunning()) {
      const exit = await service.exited;
      throw new Error(
        `${service.name} exited (${exit.code ?? exit.signal}) before ${options.what} answered. Its last lines:\n${service.recentOutput.slice(-10).join('\n')}`,
      );
    }
    if (await probe().catch(() => false)) return;
    await sleep(options.intervalMs ?? 200);
  }
  throw new Error(`${service.name}: ${options.what} did not answer within ${Math.round(options.timeoutMs / 1000)} s.`);
}
