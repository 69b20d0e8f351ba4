import { execFile } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { DescribeTableCommand, DynamoDBClient, ListTablesCommand } from '@aws-sdk/client-dynamodb';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startDynalite, type DynaliteServer } from '@review-assistant/cloud-gateway/testing';
import { interactionLogTable, workerRegistryTable } from '@review-assistant/shared';

const run = promisify(execFile);
const root = fileURLToPath(new URL('../../', import.meta.url));

describe('npm run dynamodb:tables', () => {
  let dynamo: DynaliteServer;

  beforeAll(async () => {
    dynamo = await startDynalite();
  });
  afterAll(async () => {
    await dynamo.close();
  });

  const runScript = (env: Record<string, string>) =>
    run('npm', ['run', '--silent', 'dynamodb:tables'], {
      cwd: root,
      env: { PATH: process.env.PATH, HOME: process.env.HOME, ...env },
      timeout: 60_000,
    });

  it('creates both tables from the stack definitions, named by LOG_TABLE and WORKER_REGISTRY_TABLE, and is idempotent', async () => {
    const env = { AWS_ENDPOINT_URL_DYNAMODB: dynamo.endpoint, LOG_TABLE: 'logs-a', WORKER_REGISTRY_TABLE: 'workers-a' };
    const first = await runScript(env);
    expect(first.stdout).toContain('LOG_TABLE=logs-a: created');
    expect(first.stdout).toContain('WORKER_REGISTRY_TABLE=workers-a: created');
    const second = await runScript(env);
    expect(second.stdout).toContain('LOG_TABLE=logs-a: exists');
    expect(second.stdout).toContain('WORKER_REGISTRY_TABLE=workers-a: exists');

    const client = new DynamoDBClient(dynamo.clientConfig);
    try {
      expect((await client.send(new ListTablesCommand({}))).TableNames).toEqual(['logs-a', 'workers-a']);
      const logs = (await client.send(new DescribeTableCommand({ TableName: 'logs-a' }))).Table;
      expect(logs?.KeySchema).toEqual([
        { AttributeName: interactionLogTable.partitionKey.name, KeyType: 'HASH' },
        { AttributeName: interactionLogTable.sortKey.name, KeyType: 'RANGE' },
      ]);
      const index = logs?.GlobalSecondaryIndexes?.[0];
      expect(index?.IndexName).toBe('byDay');
      expect(index?.KeySchema).toEqual([
        { AttributeName: 'day', KeyType: 'HASH' },
        { AttributeName: 'createdAt', KeyType: 'RANGE' },
      ]);
      expect(index?.Projection?.ProjectionType).toBe('ALL');
      const workers = (await client.send(new DescribeTableCommand({ TableName: 'workers-a' }))).Table;
      expect(workers?.KeySchema?.map((key) => key.AttributeName)).toEqual([workerRegistryTable.partitionKey.name, workerRegistryTable.sortKey.name]);
      expect(workers?.ProvisionedThroughput?.ReadCapacityUnits).toBe(workerRegistryTable.billing.readCapacity);
    } finally {
      client.destroy();
    }
  });

  it('refuses to run without AWS_ENDPOINT_URL_DYNAMODB, naming the variable', async () => {
    await expect(runScript({})).rejects.toMatchObject({ code: 1, stderr: expect.stringContaining('AWS_ENDPOINT_URL_DYNAMODB is not set') });
  });
});
