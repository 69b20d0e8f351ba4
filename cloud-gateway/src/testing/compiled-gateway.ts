import { execFile, spawn, type ChildProcess } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { GATEWAY_NODE_FLAGS } from '@review-assistant/shared';

const root = fileURLToPath(new URL('../../../', import.meta.url));

/** The Node flags production starts the gateway with (cloud-gateway/Dockerfile, infra user data). */
export const PRODUCTION_NODE_FLAGS = GATEWAY_NODE_FLAGS;

/** Compiles the gateway and its dependencies (`tsc -b cloud-gateway`; quick when nothing changed). */
export async function buildGateway(): Promise<void> {
  await promisify(execFile)(process.execPath, [join(root, 'node_modules', 'typescript', 'bin', 'tsc'), '-b', 'cloud-gateway'], { cwd: root, timeout: 300_000 });
}

export interface CompiledGateway {
  /** `http://127.0.0.1:<port>` */
  url: string;
  port: number;
  child: ChildProcess;
  /** Everything the process wrote to stderr so far. */
  stderr(): string;
  /** Everything the process wrote to stdout (its log lines) so far. */
  stdout(): string;
  stop(): Promise<void>;
}

/**
 * Starts `node <production flags> cloud-gateway/dist/server.js` as production does, on a free
 * port with its own DATA_DIR, and reads its URL from the start-up log line. `extraNodeFlags` come
 * after the production ones (e.g. {@link moduleLogFlags}); `nodeBinary` runs it on another Node
 * (production's Node 22 in the benches) instead of the one running this process.
 */
export async function startCompiledGateway(env: Record<string, string> = {}, options: { extraNodeFlags?: string[]; nodeBinary?: string } = {}): Promise<CompiledGateway> {
  const dataDir = await mkdtemp(join(tmpdir(), 'compiled-gateway-'));
  const child = spawn(options.nodeBinary ?? process.execPath, [...PRODUCTION_NODE_FLAGS, ...(options.extraNodeFlags ?? []), join(root, 'cloud-gateway', 'dist', 'server.js')], {
    cwd: root,
    env: { ...process.env, PORT: '0', HOST: '127.0.0.1', DATA_DIR: dataDir, LOG_LEVEL: 'info', NODE_ENV: 'production', ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let stderr = '';
  child.stderr?.on('data', (chunk: Buffer) => {
    stderr += chunk.toString();
  });
  let stdout = '';
  child.stdout?.on('data', (chunk: Buffer) => {
    stdout += chunk.toString();
  });
  const stop = async () => {
    if (child.exitCode === null && child.signalCode === null) {
      const exited = new Promise((resolve) => child.once('exit', resolve));
      child.kill('SIGTERM');
      const timer = setTimeout(() => child.kill('SIGKILL'), 10_000);
      await exited;
      clearTimeout(timer);
    }
    await rm(dataDir, { recursive: true, force: true });
  };
  try {
    const url = await new Promise<string>((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`the compiled gateway did not start within 60 s: ${stderr}`)), 60_000);
      const onData = () => {
        const match = /gateway listening on (http:\/\/[\d.:]+)/.exec(stdout);
        if (match?.[1]) {
          clearTimeout(timer);
          child.stdout?.off('data', onData);
          resolve(match[1]);
        }
      };
      child.stdout?.on('data', onData);
      child.once('exit', (code) => {
        clearTimeout(timer);
        reject(new Error(`the compiled gateway exited with ${code}: ${stderr}`));
      });
    });
    return { url, port: Number(new URL(url).port), child, stderr: () => stderr, stdout: () => stdout, stop };
  } catch (error) {
    await stop();
    throw error;
  }
}
