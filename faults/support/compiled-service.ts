import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { PRODUCTION_NODE_FLAGS } from '@review-assistant/cloud-gateway/testing';

/** The repository root (this file lives in `faults/support/`). */
export const repoRoot = fileURLToPath(new URL('../../', import.meta.url));

const ENTRY_POINTS = {
  gateway: 'cloud-gateway/dist/server.js',
  worker: 'local-worker/dist/server.js',
} as const;

export type ServiceName = keyof typeof ENTRY_POINTS;

/** One line a service printed: the parsed pino object when it was JSON, and the raw text. */
export interface ServiceLine {
  stream: 'stdout' | 'stderr';
  text: string;
  json: Record<string, unknown> | undefined;
}

export interface CompiledService {
  name: ServiceName;
  /** `http://127.0.0.1:<port>` parsed from the service's own "listening" log line. */
  url: string;
  port: number;
  pid: number;
  child: ChildProcess;
  /** Every line printed so far (stdout and stderr). */
  lines: ServiceLine[];
  /** Everything printed so far, as one string (for secret scans). */
  output(): string;
  /** True while the process has neither exited nor been killed. */
  alive(): boolean;
  /** Resolves with the exit code or signal once the process is gone. */
  exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
  /** Sends `signal` (default SIGKILL) and waits until the process is gone. */
  stop(signal?: NodeJS.Signals): Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
}

const LISTENING = {
  gateway: /gateway listening on (http:\/\/[^\s]+)/,
  worker: /worker listening on (http:\/\/[^\s]+)/,
} as const;

/**
 * Starts a compiled service exactly as production does (`node <production flags>
 * cloud-gateway/dist/server.js`, `node local-worker/dist/server.js`) with only the given
 * environment (plus PATH and HOME), and
 * waits for its "listening" line. Run `npx tsc -b` first (`npm run test:faults` does).
 */
export async function startCompiledService(name: ServiceName, env: Record<string, string>, options: { startTimeoutMs?: number } = {}): Promise<CompiledService> {
  const entry = `${repoRoot}${ENTRY_POINTS[name]}`;
  if (!existsSync(entry)) throw new Error(`${entry} is missing: run \`npx tsc -b\` first (npm run test:faults does)`);
  // the gateway with the heap limits production gives it (a t3.micro); the worker as `npm run worker` starts it
  const flags = name === 'gateway' ? [...PRODUCTION_NODE_FLAGS] : [];
  const child = spawn(process.execPath, [...flags, entry], {
    cwd: repoRoot,
    env: { PATH: process.env['PATH'] ?? '/usr/bin:/bin', HOME: process.env['HOME'] ?? '/tmp', NO_COLOR: '1', ...(name === 'gateway' ? { NODE_ENV: 'production' } : {}), ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const lines: ServiceLine[] = [];
  const waiters = new Set<() => void>();
  const collect = (stream: 'stdout' | 'stderr') => {
    let pending = '';
    child[stream]?.on('data', (chunk: Buffer) => {
      pending += chunk.toString('utf8');
      const parts = pending.split('\n');
      pending = parts.pop() ?? '';
      for (const text of parts) lines.push({ stream, text, json: parseJson(text) });
      for (const wake of waiters) wake();
    });
    child[stream]?.on('end', () => {
      if (pending) lines.push({ stream, text: pending, json: parseJson(pending) });
    });
  };
  collect('stdout');
  collect('stderr');
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) => {
    child.once('exit', (code, signal) => {
      for (const wake of waiters) wake();
      resolve({ code, signal });
    });
  });
  const output = () => lines.map((line) => line.text).join('\n');
  const alive = () => child.exitCode === null && child.signalCode === null;

  const deadline = Date.now() + (options.startTimeoutMs ?? 60_000);
  let url: string | undefined;
  while (url === undefined) {
    for (const line of lines) {
      const match = LISTENING[name].exec(line.text);
      if (match) url = match[1]!.replace(/[^\w:/.[\]-]+$/, '');
    }
    if (url !== undefined) break;
    if (!alive()) throw new Error(`${name} exited before listening:\n${output()}`);
    if (Date.now() > deadline) {
      child.kill('SIGKILL');
      throw new Error(`${name} did not start within ${options.startTimeoutMs ?? 60_000} ms:\n${output()}`);
    }
    await new Promise<void>((resolve) => {
      const timer = setTimeout(resolve, 100);
      waiters.add(() => {
        clearTimeout(timer);
        resolve();
      });
    });
    waiters.clear();
  }
  const port = Number(new URL(url).port);
  return {
    name,
    url,
    port,
    pid: child.pid as number,
    child,
    lines,
    output,
    alive,
    exited,
    async stop(signal: NodeJS.Signals = 'SIGKILL') {
      if (alive()) child.kill(signal);
      return exited;
    },
  };
}

function parseJson(text: string): Record<string, unknown> | undefined {
  if (!text.startsWith('{')) return undefined;
  try {
    const value: unknown = JSON.parse(text);
    return typeof value === 'object' && value !== null ? (value as Record<string, unknown>) : undefined;
  } catch {
    return undefined;
  }
}
