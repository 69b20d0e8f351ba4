import { execFile } from 'node:child_process';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { afterAll, describe, expect, it } from 'vitest';

const run = promisify(execFile);
const infraDir = fileURLToPath(new URL('../', import.meta.url));

/** Runs the CDK app the way `cdk synth` does (cdk.json's `app` command), without AWS credentials. */
async function synthApp(context: Record<string, unknown>) {
  const outDir = await mkdtemp(join(tmpdir(), 'cdk-out-'));
  const cdkJson = JSON.parse(await readFile(join(infraDir, 'cdk.json'), 'utf8')) as { app: string; context: Record<string, unknown> };
  const [command = '', ...args] = cdkJson.app.split(' ');
  const env: Record<string, string> = {
    PATH: process.env['PATH'] ?? '',
    HOME: process.env['HOME'] ?? tmpdir(),
    CDK_OUTDIR: outDir,
    CDK_CONTEXT_JSON: JSON.stringify({ ...cdkJson.context, ...context }),
  };
  await run(command, args, { cwd: infraDir, env, timeout: 120_000 });
  const manifest = JSON.parse(await readFile(join(outDir, 'manifest.json'), 'utf8')) as { missing?: unknown[] };
  const template = JSON.parse(await readFile(join(outDir, 'ReviewAssistantGateway.template.json'), 'utf8')) as {
    Resources: Record<string, { Type: string }>;
  };
  return { outDir, manifest, types: Object.values(template.Resources).map((resource) => resource.Type) };
}

describe('the CDK app (cdk.json entry)', () => {
  const outDirs: string[] = [];
  afterAll(async () => {
    await Promise.all(outDirs.map((dir) => rm(dir, { recursive: true, force: true })));
  });

  it('synthesizes offline with no context lookups, and honours context values', async () => {
    // one run (each spawns Node and loads aws-cdk-lib); the default shape is covered in-process
    const withAlb = await synthApp({ mode: 'ha' });
    outDirs.push(withAlb.outDir);
    expect(withAlb.manifest.missing).toBeUndefined();
    expect(withAlb.types).toContain('AWS::AutoScaling::AutoScalingGroup');
    expect(withAlb.types).toContain('AWS::ElasticLoadBalancingV2::LoadBalancer');
    expect(withAlb.types).toContain('AWS::CloudFront::Distribution');
    // no Docker-built or bundled assets: the one Lambda (the prefix-list lookup) ships prebuilt in aws-cdk-lib
    const assets = JSON.parse(await readFile(join(withAlb.outDir, 'ReviewAssistantGateway.assets.json'), 'utf8')) as { dockerImages?: Record<string, unknown> };
    expect(assets.dockerImages ?? {}).toEqual({});
  }, 180_000);

  it('fails with the offending key when context is invalid', async () => {
    await expect(synthApp({ logRetentionDays: '10' })).rejects.toMatchObject({
      stderr: expect.stringContaining('context "logRetentionDays"'),
    });
  }, 180_000);
});
