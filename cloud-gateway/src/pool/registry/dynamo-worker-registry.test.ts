import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startDynalite, type DynaliteServer } from '../../testing/dynalite-server.js';
import { announced, describeWorkerRegistryContract } from '../../testing/worker-registry-contract.js';
import { DynamoWorkerRegistry } from './dynamo-worker-registry.js';

let dynamo: DynaliteServer;
let tables = 0;
beforeAll(async () => {
  dynamo = await startDynalite();
});
afterAll(async () => {
  await dynamo.close();
});

/** A fresh registry table (from the shared definition) per registry. */
async function freshTable(): Promise<string> {
  tables += 1;
  const table = `workers-${tables}`;
  await dynamo.createTables({ logTable: `logs-${tables}`, workerRegistryTable: table });
  return table;
}

describeWorkerRegistryContract('DynamoWorkerRegistry on dynalite', async (options) => new DynamoWorkerRegistry({ ...options, table: await freshTable(), client: dynamo.clientConfig }));

describe('DynamoWorkerRegistry shared by two gateways', () => {
  it('shows a worker registered through one gateway to the other, and a goodbye through either removes it for both', async () => {
    const table = await freshTable();
    const a = new DynamoWorkerRegistry({ table, client: dynamo.clientConfig });
    const b = new DynamoWorkerRegistry({ table, client: dynamo.clientConfig });
    const now = Date.now();
    expect(await a.upsert(announced('gpu-1', 'https://gpu-1.ngrok-free.app'), now)).toMatchObject({ accepted: true, created: true });
    expect(await b.list()).toMatchObject([{ workerId: 'gpu-1', url: 'https://gpu-1.ngrok-free.app', backend: 'offline' }]);
    expect(await b.upsert(announced('gpu-1', 'https://gpu-1.ngrok-free.app', { active: 1 }), now + 5000)).toMatchObject({ accepted: true, created: false });
    expect(await a.list()).toMatchObject([{ workerId: 'gpu-1', active: 1, receivedAtMs: now + 5000 }]);
    expect(await b.remove('gpu-1', 'https://gpu-1.ngrok-free.app')).toBe(true);
    expect(await a.list()).toEqual([]);
    await Promise.all([a.close(), b.close()]);
  });

  it('binds an id to exactly one URL when two gateways register it with different URLs at the same time', async () => {
    const table = await freshTable();
    const gateways = [0, 1, 2, 3].map(() => new DynamoWorkerRegistry({ table, client: dynamo.clientConfig }));
    const now = Date.now();
    const outcomes = await Promise.all(gateways.map((registry, index) => registry.upsert(announced('contested', `https://w${index}.ngrok-free.app`), now)));
    expect(outcomes.filter((outcome) => outcome.accepted)).toHaveLength(1);
    expect(outcomes.filter((outcome) => !outcome.accepted).every((outcome) => !outcome.accepted && outcome.reason === 'worker_id_taken')).toBe(true);
    const winner = outcomes.findIndex((outcome) => outcome.accepted);
    expect(await gateways[0]!.list()).toMatchObject([{ workerId: 'contested', url: `https://w${winner}.ngrok-free.app` }]);
    await Promise.all(gateways.map((registry) => registry.close()));
  });
});

describe('createWorkerRegistry', () => {
  it('builds the DynamoDB adapter for WORKER_REGISTRY=dynamodb and requires WORKER_REGISTRY_TABLE', async () => {
    const { createWorkerRegistry } = await import('./create-worker-registry.js');
    const registry = await createWorkerRegistry({ workerRegistry: 'dynamodb', workerRegistryTable: await freshTable(), dynamodbEndpoint: dynamo.endpoint });
    expect(registry.provider).toBe('dynamodb');
    expect(await registry.upsert(announced('w1', 'https://w1.ngrok-free.app'), Date.now())).toMatchObject({ accepted: true });
    expect(await registry.list()).toHaveLength(1);
    await registry.close();
    await expect(createWorkerRegistry({ workerRegistry: 'dynamodb' })).rejects.toThrow(/WORKER_REGISTRY_TABLE/);
  });
});
