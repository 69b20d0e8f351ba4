import { execFile } from 'node:child_process';
import { chmod, copyFile, mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

const run = promisify(execFile);
const script = fileURLToPath(new URL('../../scripts/edge-secret.sh', import.meta.url));
const fakeAws = fileURLToPath(new URL('./testing/fake-aws-parameters.mjs', import.meta.url));

interface FakeState {
  parameters: Record<string, string[]>;
  instances: string[];
  restarts: string[];
  calls: string[][];
}

const CURRENT = '/review-assistant/EDGE_SECRET';
const PREVIOUS = '/review-assistant/EDGE_SECRET_PREVIOUS';

/** infra/scripts/edge-secret.sh against a fake AWS CLI that keeps parameters and their versions. */
describe('edge-secret.sh (create, rotate, finish)', () => {
  let directory: string;
  const stateFile = () => join(directory, 'state.json');
  const readState = async () => JSON.parse(await readFile(stateFile(), 'utf8')) as FakeState;

  beforeAll(async () => {
    directory = await mkdtemp(join(tmpdir(), 'edge-secret-'));
    await mkdir(join(directory, 'bin'));
    await copyFile(fakeAws, join(directory, 'bin', 'aws'));
    await chmod(join(directory, 'bin', 'aws'), 0o755);
    await writeFile(stateFile(), JSON.stringify({ parameters: {}, instances: ['i-one', 'i-two'], restarts: [], calls: [] }));
  });

  afterAll(async () => {
    await rm(directory, { recursive: true, force: true });
  });

  async function edgeSecret(...args: string[]) {
    const env = { PATH: `${join(directory, 'bin')}:${process.env['PATH'] ?? ''}`, FAKE_AWS_STATE: stateFile() };
    const result = await run('bash', [script, ...args], { env }).then(
      ({ stdout, stderr }) => ({ code: 0, output: stdout + stderr }),
      (error: { code: number; stdout: string; stderr: string }) => ({ code: error.code, output: error.stdout + error.stderr }),
    );
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
    expectNoValueShown(state, output);
  });
});
