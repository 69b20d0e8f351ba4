import { execFile } from 'node:child_process';
import { chmod, copyFile, mkdir } from 'node:fs/promises';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';

/** What `fake-aws-parameters.mjs` keeps in its state file (FAKE_AWS_STATE). */
export interface FakeParametersState {
  parameters: Record<string, string[]>;
  instances: string[];
  restarts: string[];
  calls: string[][];
  outputs?: Record<string, string>;
  unready?: string[];
  readFails?: boolean;
}

/** Installs the fake as `<directory>/bin/aws`; returns that bin folder for PATH. */
export async function installFakeAws(directory: string): Promise<string> {
  const bin = join(directory, 'bin');
  await mkdir(bin, { recursive: true });
  await copyFile(fileURLToPath(new URL('./fake-aws-parameters.mjs', import.meta.url)), join(bin, 'aws'));
  await chmod(join(bin, 'aws'), 0o755);
  return bin;
}

/** Runs an infra script with the fake first on PATH and a short readiness gate; never throws. */
export async function runWithFakeAws(script: string, args: readonly string[], bin: string, stateFile: string): Promise<{ code: number; output: string }> {
  const env = { PATH: `${bin}:${process.env['PATH'] ?? ''}`, FAKE_AWS_STATE: stateFile, GATE_TIMEOUT_SECONDS: '2', GATE_INTERVAL_SECONDS: '0.1' };
  return promisify(execFile)('bash', [script, ...args], { env }).then(
    ({ stdout, stderr }) => ({ code: 0, output: stdout + stderr }),
    (error: { code: number; stdout: string; stderr: string }) => ({ code: error.code, output: error.stdout + error.stderr }),
  );
}

/** The restarts and readiness waits in the order a script ran them: "restart i-one", "ready i-one". */
export function restartSteps(state: FakeParametersState): string[] {
  return state.calls.flatMap((call) => {
    const id = (name: string) => call[call.indexOf(name) + 1]?.replace(/^Id=/, '');
    if (call[1] === 'send-command') return [`restart ${id('--instance-ids')}`];
    if (call[0] === 'elbv2' && call[2] === 'target-in-service') return [`ready ${id('--targets')}`];
    return [];
  });
}
