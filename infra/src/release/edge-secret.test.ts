import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { installFakeAws, restartSteps, runWithFakeAws, type FakeParametersState as FakeState } from './testing/fake-aws-parameters.js';

const script = fileURLToPath(new URL('../../scripts/edge-secret.sh', import.meta.url));
const CURRENT = '/review-assistant/EDGE_SECRET';
const PREVIOUS = '/review-assistant/EDGE_SECRET_PREVIOUS';
const TARGET_GROUP = 'arn:aws:elasticloadbalancing:eu-west-1:123456789012:targetgroup/gateway/0123456789abcdef';

/** infra/scripts/edge-secret.sh against a fake AWS CLI that keeps parameters and their versions. */
describe('edge-secret.sh (create, rotate, finish)', () => {
  let directory: string;
  let bin: string;
  let server: Server;
  let readyStatus = 200;
  let gatewayUrl: string;
  const stateFile = () => join(directory, 'state.json');
  const readState = async () => JSON.parse(await readFile(stateFile(), 'utf8')) as FakeState;
  const patchState = async (patch: Partial<FakeState>) => writeFile(stateFile(), JSON.stringify({ ...(await readState()), calls: [], restarts: [], ...patch }));

  beforeAll(async () => {
    directory = await mkdtemp(join(tmpdir(), 'edge-secret-'));
    bin = await installFakeAws(directory);
    // mode=ha: two instances behind the load balancer's target group
    await writeFile(stateFile(), JSON.stringify({ parameters: {}, instances: ['i-one', 'i-two'], restarts: [], calls: [], outputs: { TargetGroupArn: TARGET_GROUP } }));
    // the public /readyz of the one-instance mode (no target group)
    server = createServer((request, response) => response.writeHead(request.url === '/readyz' ? readyStatus : 404).end());
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    gatewayUrl = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  });

  afterAll(async () => {
    await new Promise((resolve) => server.close(resolve));
    await rm(directory, { recursive: true, force: true });
  });

  async function edgeSecret(...args: string[]) {
    const result = await runWithFakeAws(script, args, bin, stateFile());
    return { ...result, state: await readState() };
  }

  /** No secret value in the script's output or in any command line it ran. */
  function expectNoValueShown(state: FakeState, output: string) {
    const values = Object.values(state.parameters).flat();
    expect(values.length).toBeGreaterThan(0);
    for (const value of values) {
      expect(output).not.toContain(value);
      for (const call of state.calls) expect(call.join(' ')).not.toContain(value);
    }
  }

  it('creates a random 64-hex-digit String parameter once, without printing it', async () => {
    const first = await edgeSecret('create');
    expect(first.code, first.output).toBe(0);
    expect(first.state.parameters[CURRENT]).toHaveLength(1);
    expect(first.state.parameters[CURRENT]?.[0]).toMatch(/^[0-9a-f]{64}$/);
    const put = first.state.calls.find((call) => call[1] === 'put-parameter');
    expect(put).toEqual(expect.arrayContaining(['--type', 'String', '--tier', 'Standard']));
    expect(first.output).toContain('version 1');
    expectNoValueShown(first.state, first.output);

    const again = await edgeSecret('create');
    expect(again.code).toBe(0);
    expect(again.output).toContain('exists already');
    expect(again.state.parameters[CURRENT]).toEqual(first.state.parameters[CURRENT]);
  });

  it('rotates: the old value becomes EDGE_SECRET_PREVIOUS, a new version is written and every gateway restarts', async () => {
    const before = (await readState()).parameters[CURRENT]?.at(-1);
    const { code, output, state } = await edgeSecret('rotate');
    expect(code, output).toBe(0);
    expect(state.parameters[PREVIOUS]).toEqual([before]);
    expect(state.parameters[CURRENT]).toHaveLength(2);
    expect(state.parameters[CURRENT]?.[1]).toMatch(/^[0-9a-f]{64}$/);
    expect(state.parameters[CURRENT]?.[1]).not.toBe(before);
    expect(state.restarts).toEqual(['i-one', 'i-two']);
    // each gateway is a healthy target again before the next one restarts
    expect(restartSteps(state)).toEqual(['restart i-one', 'ready i-one', 'restart i-two', 'ready i-two']);
    expect(output).toContain('"edgeSecretVersion": 2');
    expectNoValueShown(state, output);
  });

  it('refuses a second rotation before the first is finished', async () => {
    const { code, output, state } = await edgeSecret('rotate');
    expect(code).toBe(1);
    expect(output).toContain('edge-secret.sh finish');
    expect(state.parameters[CURRENT]).toHaveLength(2);
  });

  it('finishes: deletes the previous value and restarts the gateways again', async () => {
    const { code, output, state } = await edgeSecret('finish');
    expect(code, output).toBe(0);
    expect(state.parameters[PREVIOUS]).toBeUndefined();
    expect(state.restarts).toEqual(['i-one', 'i-two', 'i-one', 'i-two']);
    expect(restartSteps(state).slice(-4)).toEqual(['restart i-one', 'ready i-one', 'restart i-two', 'ready i-two']);
    expectNoValueShown(state, output);
  });

  it('stops, without restarting the next gateway, when a restarted one does not become a healthy target', async () => {
    await patchState({ parameters: { ...(await readState()).parameters, [PREVIOUS]: ['0'.repeat(64)] }, unready: ['i-one'] });
    const { code, output, state } = await edgeSecret('finish');
    expect(code).toBe(1);
    expect(output).toContain('the gateway on i-one did not become ready');
    expect(state.restarts).toEqual(['i-one']);
    await patchState({ unready: [] });
  });

  it('stops on a failing AWS CLI instead of reading it as "no parameter"', async () => {
    await patchState({ parameters: { ...(await readState()).parameters, [PREVIOUS]: ['0'.repeat(64)] }, readFails: true });
    const finish = await edgeSecret('finish');
    expect(finish.code).toBe(1);
    expect(finish.output).toContain('could not read /review-assistant/EDGE_SECRET_PREVIOUS');
    expect(finish.output).not.toContain('no rotation to finish');
    const create = await edgeSecret('create');
    expect(create.code).toBe(1);
    expect(create.state.calls.some((call) => call[1] === 'put-parameter')).toBe(false);
    await patchState({ readFails: false });
  });

  it('with one instance (no target group) waits for <GatewayUrl>/readyz after the restart and stops when it stays unready', async () => {
    readyStatus = 200;
    await patchState({ parameters: { ...(await readState()).parameters, [PREVIOUS]: ['0'.repeat(64)] }, instances: ['i-one'], outputs: { GatewayUrl: gatewayUrl } });
    const ready = await edgeSecret('finish');
    expect(ready.code, ready.output).toBe(0);
    expect(ready.output).toContain('the gateway on i-one is ready');

    readyStatus = 503;
    await patchState({ parameters: { ...(await readState()).parameters, [PREVIOUS]: ['0'.repeat(64)] } });
    const unready = await edgeSecret('finish');
    expect(unready.code).toBe(1);
    expect(unready.output).toContain('the gateway on i-one did not become ready');
  });
});
