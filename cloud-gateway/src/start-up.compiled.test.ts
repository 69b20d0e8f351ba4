import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildGateway, moduleLogFlags, readModuleLog, startCompiledGateway, startDynalite, type CompiledGateway, type DynaliteServer } from './testing/index.js';

const AWS_SDK = /\/node_modules\/@(aws-sdk|smithy|aws-crypto)\//;

async function waitForReady(url: string): Promise<void> {
  const deadline = Date.now() + 60_000;
  while ((await fetch(`${url}/readyz`)).status !== 200) {
    if (Date.now() > deadline) throw new Error('the compiled gateway did not become ready within 60 s');
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}

/** Polls the gateway's stdout for a log line. */
async function logLine(gateway: CompiledGateway, message: string): Promise<Record<string, unknown>> {
  const deadline = Date.now() + 30_000;
  for (;;) {
    const line = gateway
      .stdout()
      .split('\n')
      .find((candidate) => candidate.includes(`"msg":"${message}"`));
    if (line) return JSON.parse(line) as Record<string, unknown>;
    if (Date.now() > deadline) throw new Error(`no "${message}" log line within 30 s: ${gateway.stdout().slice(-2000)}`);
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}

describe('the compiled gateway at start-up (production flags, what `node cloud-gateway/dist/server.js` loads)', () => {
  let scratch: string;
  let dynalite: DynaliteServer;
  beforeAll(async () => {
    await buildGateway();
    scratch = await mkdtemp(join(tmpdir(), 'gateway-start-up-'));
    dynalite = await startDynalite();
    await dynalite.createTables({ logTable: 'interactions', workerRegistryTable: 'workers' });
  }, 300_000);
  afterAll(async () => {
    await dynalite?.close();
    await rm(scratch, { recursive: true, force: true });
  });

  it('loads no AWS SDK module when neither DynamoDB nor S3 is configured, and runs one full collection once the intent model is loaded', async () => {
    const log = join(scratch, 'default.modules');
    const gateway = await startCompiledGateway({}, { extraNodeFlags: moduleLogFlags(log) });
    try {
      await waitForReady(gateway.url);
      const collected = await logLine(gateway, 'start-up garbage collected');
      expect(collected['rssMiB']).toBeGreaterThan(0);
      const modules = await readModuleLog(gateway.child, log);
      // the probe sees the gateway's own modules and its CommonJS dependencies
      expect(modules.some((url) => url.endsWith('/cloud-gateway/dist/server.js'))).toBe(true);
      expect(modules.some((url) => url.includes('/node_modules/prom-client/'))).toBe(true);
      expect(modules.filter((url) => AWS_SDK.test(url))).toEqual([]);
    } finally {
      await gateway.stop();
    }
  }, 120_000);

  it('loads the AWS SDK when the interaction log goes to DynamoDB (the probe above can see it)', async () => {
    const log = join(scratch, 'dynamodb.modules');
    const gateway = await startCompiledGateway(
      { LOG_STORE: 'dynamodb', LOG_TABLE: 'interactions', AWS_ENDPOINT_URL_DYNAMODB: dynalite.endpoint },
      { extraNodeFlags: moduleLogFlags(log) },
    );
    try {
      await waitForReady(gateway.url);
      const modules = await readModuleLog(gateway.child, log);
      expect(modules.filter((url) => url.includes('/node_modules/@aws-sdk/client-dynamodb/')).length).toBeGreaterThan(0);
    } finally {
      await gateway.stop();
    }
  }, 120_000);
});
