import { execFile } from 'node:child_process';
import { createHash } from 'node:crypto';
import { chmod, copyFile, mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

const run = promisify(execFile);
const sha256 = (text: string) => createHash('sha256').update(text).digest('hex');
const script = fileURLToPath(new URL('../../scripts/rollout.sh', import.meta.url));
const fakeAws = fileURLToPath(new URL('./testing/fake-aws-rollout.mjs', import.meta.url));

interface FakeState {
  outputs: Record<string, string>;
  versions: { id: string; body: string }[];
  instances: Record<string, string | null>;
  calls: string[];
  slowWaits?: number;
}

/**
 * infra/scripts/rollout.sh against a fake AWS CLI and a gateway stand-in whose /readyz is healthy
 * only while every instance runs a release that is not "broken". The fake runs the rollout's
 * Run Command script in bash against a process started in the running release's directory.
 */
describe('rollout.sh (upload, restart, check the running release, gate on /readyz, roll back)', () => {
  let directory: string;
  let server: Server;
  let gatewayUrl: string;
  const stateFile = () => join(directory, 'state.json');
  const readState = async () => JSON.parse(await readFile(stateFile(), 'utf8')) as FakeState;

  beforeAll(async () => {
    directory = await mkdtemp(join(tmpdir(), 'rollout-'));
    await mkdir(join(directory, 'bin'));
    await copyFile(fakeAws, join(directory, 'bin', 'aws'));
    await chmod(join(directory, 'bin', 'aws'), 0o755);
    server = createServer((request, response) => {
      void readFile(stateFile(), 'utf8').then((text) => {
        const state = JSON.parse(text) as FakeState;
        const healthy = Object.values(state.instances).every((body) => body !== null && !body.includes('broken'));
        response.writeHead(request.url === '/readyz' && healthy ? 200 : 503).end();
      });
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    gatewayUrl = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  });

  afterAll(async () => {
    await new Promise((resolve) => server.close(resolve));
    await rm(directory, { recursive: true, force: true });
  });

  async function deploy(body: string, versions: FakeState['versions'], outputs: Record<string, string> = {}, slowWaits = 0) {
    const state: FakeState = {
      outputs: { ReleaseUri: 's3://artifacts/releases/cloud-gateway.tgz', AutoScalingGroupName: 'gateway-group', GatewayUrl: gatewayUrl, ...outputs },
      versions,
      instances: { 'i-one': versions.at(-1)?.body ?? null, 'i-two': versions.at(-1)?.body ?? null },
      calls: [],
      slowWaits,
    };
    await writeFile(stateFile(), JSON.stringify(state));
    const release = join(directory, 'release.tgz');
    await writeFile(release, body);
    const env = { PATH: `${join(directory, 'bin')}:${process.env['PATH'] ?? ''}`, FAKE_AWS_STATE: stateFile(), GATE_TIMEOUT_SECONDS: '3', GATE_INTERVAL_SECONDS: '0.1' };
    const result = await run('bash', [script, 'ReviewAssistantGateway', release], { env }).then(
      ({ stdout, stderr }) => ({ code: 0, output: stdout + stderr }),
      (error: { code: number; stdout: string; stderr: string }) => ({ code: error.code, output: error.stdout + error.stderr }),
    );
    return { ...result, state: await readState() };
  }

  it('uploads the release, restarts every instance one at a time and passes the gate', async () => {
    const { code, output, state } = await deploy('release 2', [{ id: 'v1', body: 'release 1' }]);
    expect(code, output).toBe(0);
    expect(state.versions.at(-1)?.body).toBe('release 2');
    expect(state.instances).toEqual({ 'i-one': 'release 2', 'i-two': 'release 2' });
    const restarts = state.calls.filter((call) => call.startsWith('ssm send-command'));
    expect(restarts.map((call) => /--instance-ids (\S+)/.exec(call)?.[1])).toEqual(['i-one', 'i-two']);
    expect(restarts[0]).toContain('systemctl restart review-assistant-gateway.service');
    // the commit comes from the running release's RELEASE.json (the fake writes a digest prefix there)
    expect(output).toContain(`i-one; it runs release ${sha256('release 2')} (commit ${sha256('release 2').slice(0, 40)})`);
    expect(output).toContain(`i-two; it runs release ${sha256('release 2')}`);
    expect(state.calls.some((call) => call.startsWith('s3api copy-object'))).toBe(false);
  });

  it('rolls back when the restart leaves the old release running, although /readyz answers 200', async () => {
    const { code, output, state } = await deploy('release 3 (stale: never installed)', [
      { id: 'v1', body: 'release 1' },
      { id: 'v2', body: 'release 2' },
    ]);
    expect(code).toBe(1);
    expect(output).toContain(`i-one restarted but runs release ${sha256('release 2')}, not ${sha256('release 3 (stale: never installed)')}`);
    // it stops at the first instance that runs the wrong release
    expect(state.calls.filter((call) => call.startsWith('ssm send-command')).map((call) => /--instance-ids (\S+)/.exec(call)?.[1])).toEqual(['i-one', 'i-one', 'i-two']);
    expect(state.calls).toContain('s3api copy-object --bucket artifacts --key releases/cloud-gateway.tgz --copy-source artifacts/releases/cloud-gateway.tgz?versionId=v2');
    expect(output).toContain(`i-two; it runs release ${sha256('release 2')}`);
    expect(output).toContain('rolled back');
    expect(state.instances).toEqual({ 'i-one': 'release 2', 'i-two': 'release 2' });
  });

  it('restores the previous release and restarts again when the new one fails the gate', async () => {
    const { code, output, state } = await deploy('release 3 (broken)', [
      { id: 'v1', body: 'release 1' },
      { id: 'v2', body: 'release 2' },
    ]);
    expect(code).toBe(1);
    expect(output).toContain('failed its gate');
    expect(output).toContain('rolled back');
    expect(state.calls).toContain('s3api copy-object --bucket artifacts --key releases/cloud-gateway.tgz --copy-source artifacts/releases/cloud-gateway.tgz?versionId=v2');
    expect(state.versions.at(-1)?.body).toBe('release 2');
    expect(state.instances).toEqual({ 'i-one': 'release 2', 'i-two': 'release 2' });
  });

  it('stops at an instance whose gateway does not come up after the restart', async () => {
    const { code, output, state } = await deploy('release 1 (exits at start)', []);
    expect(code).toBe(1);
    expect(output).toContain('restart on i-one failed');
    expect(state.calls.filter((call) => call.startsWith('ssm send-command'))).toHaveLength(1);
  });

  /** The restarts and load balancer waits in the order the rollout ran them: "restart i-one", "in service i-one". */
  const restartSteps = (state: FakeState) =>
    state.calls.flatMap((call) => {
      if (call.startsWith('ssm send-command')) return [`restart ${/--instance-ids (\S+)/.exec(call)?.[1]}`];
      if (call.startsWith('elbv2 wait target-in-service')) return [`in service ${/--targets Id=(\S+)/.exec(call)?.[1]}`];
      return [];
    });
  const TARGET_GROUP = 'arn:aws:elasticloadbalancing:eu-west-1:123456789012:targetgroup/gateway/0123456789abcdef';

  it('mode=ha: restarts the next instance only once the restarted one is a healthy target again', async () => {
    const { code, output, state } = await deploy('release 2', [{ id: 'v1', body: 'release 1' }], { TargetGroupArn: TARGET_GROUP });
    expect(code, output).toBe(0);
    expect(restartSteps(state)).toEqual(['restart i-one', 'in service i-one', 'restart i-two', 'in service i-two']);
    expect(state.calls).toContain(`elbv2 wait target-in-service --target-group-arn ${TARGET_GROUP} --targets Id=i-one`);
    // the Run Command script waits for the gateway's own /readyz after the restart
    const restart = state.calls.find((call) => call.startsWith('ssm send-command')) ?? '';
    expect(restart).toMatch(/systemctl restart review-assistant-gateway.service.*until curl -fsS -o \/dev\/null --max-time 5 http:\/\/127.0.0.1:/);
  });

  it('mode=ha: does not restart the second instance while the first one\'s /readyz fails, although the load balancer still lists it', async () => {
    const { code, output, state } = await deploy('release 3 (broken)', [
      { id: 'v1', body: 'release 1' },
      { id: 'v2', body: 'release 2' },
    ], { TargetGroupArn: TARGET_GROUP });
    expect(code).toBe(1);
    expect(output).toContain('restart on i-one failed');
    // i-one alone with the broken release, then the rollback restarts both, each back in service first
    expect(restartSteps(state)).toEqual(['restart i-one', 'restart i-one', 'in service i-one', 'restart i-two', 'in service i-two']);
    expect(output).toContain('rolled back');
    expect(state.instances).toEqual({ 'i-one': 'release 2', 'i-two': 'release 2' });
  });

  it('keeps waiting for a Run Command that still runs when the CLI\'s waiter gives up (the readiness wait can outlast its 100 s)', async () => {
    const { code, output, state } = await deploy('release 2', [{ id: 'v1', body: 'release 1' }], {}, 2);
    expect(code, output).toBe(0);
    expect(state.calls.filter((call) => call.startsWith('ssm wait command-executed'))).toHaveLength(4);
    expect(state.calls.filter((call) => call.includes('--query Status'))).toHaveLength(2);
    expect(state.instances).toEqual({ 'i-one': 'release 2', 'i-two': 'release 2' });
  });

  it('fails without a rollback target on the first deployment', async () => {
    const { code, output, state } = await deploy('release 1 (broken)', []);
    expect(code).toBe(1);
    expect(output).toContain('no previous release to roll back to');
    expect(state.calls.some((call) => call.startsWith('s3api copy-object'))).toBe(false);
  });
});
