import { execFile } from 'node:child_process';
import { chmod, copyFile, mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

const run = promisify(execFile);
const script = fileURLToPath(new URL('../../scripts/restart-gateways.sh', import.meta.url));
const fakeAws = fileURLToPath(new URL('./testing/fake-aws-parameters.mjs', import.meta.url));
const TARGET_GROUP = 'arn:aws:elasticloadbalancing:eu-west-1:123456789012:targetgroup/gateway/0123456789abcdef';

interface FakeState {
  parameters: Record<string, string[]>;
  instances: string[];
  restarts: string[];
  calls: string[][];
  outputs?: Record<string, string>;
  unready?: string[];
}

/** infra/scripts/restart-gateways.sh (e.g. after a new intent model) against the fake AWS CLI. */
describe('restart-gateways.sh', () => {
  let directory: string;
  const stateFile = () => join(directory, 'state.json');

  beforeAll(async () => {
    directory = await mkdtemp(join(tmpdir(), 'restart-gateways-'));
    await mkdir(join(directory, 'bin'));
    await copyFile(fakeAws, join(directory, 'bin', 'aws'));
    await chmod(join(directory, 'bin', 'aws'), 0o755);
  });

  afterAll(async () => rm(directory, { recursive: true, force: true }));

  async function restart(state: Partial<FakeState>) {
    // mode=ha: instances behind the load balancer's target group
    await writeFile(stateFile(), JSON.stringify({ parameters: {}, instances: ['i-one', 'i-two'], restarts: [], calls: [], outputs: { TargetGroupArn: TARGET_GROUP }, ...state }));
    const env = { PATH: `${join(directory, 'bin')}:${process.env['PATH'] ?? ''}`, FAKE_AWS_STATE: stateFile(), GATE_TIMEOUT_SECONDS: '2', GATE_INTERVAL_SECONDS: '0.1' };
    const result = await run('bash', [script], { env }).then(
      ({ stdout, stderr }) => ({ code: 0, output: stdout + stderr }),
      (error: { code: number; stdout: string; stderr: string }) => ({ code: error.code, output: error.stdout + error.stderr }),
    );
    const after = JSON.parse(await readFile(stateFile(), 'utf8')) as FakeState;
    // restarts and readiness waits in the order the script ran them
    const steps = after.calls.flatMap((call) => {
      const id = (name: string) => call[call.indexOf(name) + 1]?.replace(/^Id=/, '');
      if (call[1] === 'send-command') return [`restart ${id('--instance-ids')}`];
      if (call[0] === 'elbv2' && call[2] === 'target-in-service') return [`ready ${id('--targets')}`];
      return [];
    });
    return { ...result, steps };
  }

  it('restarts one instance at a time, each a healthy target again before the next restarts', async () => {
    const { code, output, steps } = await restart({});
    expect(code, output).toBe(0);
    expect(steps).toEqual(['restart i-one', 'ready i-one', 'restart i-two', 'ready i-two']);
    expect(output).toContain('restart-gateways: the gateway on i-two is ready');
  });

  it('stops at an instance that does not come back, leaving the others running', async () => {
    const { code, output, steps } = await restart({ unready: ['i-one'] });
    expect(code).toBe(1);
    expect(output).toContain('the gateway on i-one did not become ready');
    expect(steps.filter((step) => step.startsWith('restart'))).toEqual(['restart i-one']);
  });

  it('says so when no instance is in service', async () => {
    const { code, output, steps } = await restart({ instances: [] });
    expect(code, output).toBe(0);
    expect(output).toContain('no instance in service');
    expect(steps).toEqual([]);
  });
});
