import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { installFakeAws, restartSteps, runWithFakeAws, type FakeParametersState } from './testing/fake-aws-parameters.js';

const script = fileURLToPath(new URL('../../scripts/restart-gateways.sh', import.meta.url));
const TARGET_GROUP = 'arn:aws:elasticloadbalancing:eu-west-1:123456789012:targetgroup/gateway/0123456789abcdef';

/** infra/scripts/restart-gateways.sh (e.g. after a new intent model) against the fake AWS CLI. */
describe('restart-gateways.sh', () => {
  let directory: string;
  let bin: string;
  const stateFile = () => join(directory, 'state.json');

  beforeAll(async () => {
    directory = await mkdtemp(join(tmpdir(), 'restart-gateways-'));
    bin = await installFakeAws(directory);
  });

  afterAll(async () => rm(directory, { recursive: true, force: true }));

  async function restart(state: Partial<FakeParametersState>) {
    // mode=ha: instances behind the load balancer's target group
    await writeFile(stateFile(), JSON.stringify({ parameters: {}, instances: ['i-one', 'i-two'], restarts: [], calls: [], outputs: { TargetGroupArn: TARGET_GROUP }, ...state }));
    const result = await runWithFakeAws(script, [], bin, stateFile());
    return { ...result, steps: restartSteps(JSON.parse(await readFile(stateFile(), 'utf8')) as FakeParametersState) };
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
