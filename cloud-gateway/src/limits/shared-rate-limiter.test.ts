import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { TokenBucketLimiter } from '../middleware/rate-limit.js';
import { startDynalite, type DynaliteServer } from '../testing/dynalite-server.js';
import { startDynamoFaultProxy, type DynamoFaultProxy } from '../testing/dynamo-fault-proxy.js';
import { DynamoRateLimitStore } from './dynamo-rate-limit-store.js';
import { SharedRateLimiter } from './shared-rate-limiter.js';

let dynamo: DynaliteServer;
let proxy: DynamoFaultProxy;
const table = 'limits';
beforeAll(async () => {
  dynamo = await startDynalite();
  await dynamo.createTables({ logTable: 'logs', workerRegistryTable: table });
  proxy = await startDynamoFaultProxy(dynamo.endpoint);
});
afterAll(async () => {
  await proxy.close();
  await dynamo.close();
});

const clock = { now: 1_800_000_000_000 };
const now = () => clock.now;
let keyNumber = 0;
const freshKey = () => `203.0.113.${(keyNumber += 1)}`;

describe('DynamoRateLimitStore', () => {
  it('decides exactly as the in-process token bucket for any sequence of takes and pauses', async () => {
    const store = new DynamoRateLimitStore({ table, client: dynamo.clientConfig, now, timeoutMs: 5_000 });
    const policy = { name: 'chat', perMinute: 120, burst: 4 }; // one token every 500 ms
    await fc.assert(
      fc.asyncProperty(fc.array(fc.record({ waitHalfIntervals: fc.integer({ min: 0, max: 6 }), cost: fc.integer({ min: 1, max: 6 }) }), { minLength: 1, maxLength: 25 }), async (steps) => {
        const key = freshKey();
        const bucket = new TokenBucketLimiter(policy.perMinute, policy.burst, now);
        for (const step of steps) {
          clock.now += step.waitHalfIntervals * 250;
          const expected = bucket.take(key, step.cost);
          const actual = await store.take(policy, key, step.cost);
          expect(actual.allowed).toBe(expected.allowed);
        }
      }),
      { numRuns: 25, seed: 1302 },
    );
    await store.close();
  });

  it('stores keys only as hashes', async () => {
    const store = new DynamoRateLimitStore({ table, client: dynamo.clientConfig, now });
    await store.take({ name: 'api', perMinute: 10, burst: 1 }, 'sk-secret-api-key-123', 1);
    const { DynamoDBClient, ScanCommand } = await import('@aws-sdk/client-dynamodb');
    const client = new DynamoDBClient(dynamo.clientConfig);
    const items = JSON.stringify((await client.send(new ScanCommand({ TableName: table }))).Items);
    client.destroy();
    expect(items).toContain('limit#api#');
    expect(items).not.toContain('sk-secret-api-key-123');
    await store.close();
  });

  it('refuses a take that the last seen bucket state already refuses without calling DynamoDB', async () => {
    const store = new DynamoRateLimitStore({ table, client: { ...dynamo.clientConfig, endpoint: proxy.endpoint }, now });
    const policy = { name: 'chat', perMinute: 6, burst: 2 }; // one token every 10 s
    const key = freshKey();
    expect((await store.take(policy, key, 1)).allowed).toBe(true);
    expect((await store.take(policy, key, 1)).allowed).toBe(true);
    const third = await store.take(policy, key, 1);
    expect(third).toEqual({ allowed: false, retryAfterSeconds: 10 });
    const calls = proxy.seen.length;
    clock.now += 4_000;
    expect(await store.take(policy, key, 1)).toEqual({ allowed: false, retryAfterSeconds: 6 });
    expect(proxy.seen.length).toBe(calls);
    clock.now += 6_000;
    expect((await store.take(policy, key, 1)).allowed).toBe(true);
    await store.close();
  });
});

describe('SharedRateLimiter', () => {
  it('holds one limit across two gateways: a client alternating between them gets the burst once, not twice', async () => {
    const policy = { name: 'chat', perMinute: 6, burst: 3 };
    const gatewayA = new SharedRateLimiter(policy, new DynamoRateLimitStore({ table, client: dynamo.clientConfig, now }), undefined, now);
    const gatewayB = new SharedRateLimiter(policy, new DynamoRateLimitStore({ table, client: dynamo.clientConfig, now }), undefined, now);
    const key = freshKey();
    const decisions: boolean[] = [];
    for (let index = 0; index < 8; index += 1) decisions.push((await (index % 2 ? gatewayB : gatewayA).take(key)).allowed);
    expect(decisions).toEqual([true, true, true, false, false, false, false, false]);
    // the same traffic against two gateways that each keep their own buckets (the old behaviour)
    const ownA = new TokenBucketLimiter(policy.perMinute, policy.burst, now);
    const ownB = new TokenBucketLimiter(policy.perMinute, policy.burst, now);
    const separate = Array.from({ length: 8 }, (_, index) => (index % 2 ? ownB : ownA).take(key).allowed);
    expect(separate.filter(Boolean)).toHaveLength(6);
  });

  it('falls back to the gateway\'s own limit when DynamoDB does not answer', async () => {
    const policy = { name: 'chat', perMinute: 6, burst: 2 };
    const limiter = new SharedRateLimiter(policy, new DynamoRateLimitStore({ table, client: { ...dynamo.clientConfig, endpoint: 'http://127.0.0.1:9', maxAttempts: 1 }, now }), undefined, now);
    const key = freshKey();
    const decisions = [];
    for (let index = 0; index < 3; index += 1) decisions.push((await limiter.take(key)).allowed);
    expect(decisions).toEqual([true, true, false]);
  });
});

describe('createRateLimitStore', () => {
  it('shares limits when asked, or when RATE_LIMIT_STORE is unset and the worker registry is shared', async () => {
    const { createRateLimitStore } = await import('./create-rate-limit-store.js');
    const settings = { workerRegistryTable: table, dynamodbEndpoint: 'http://127.0.0.1:9' };
    const shared = await createRateLimitStore({ ...settings, workerRegistry: 'dynamodb' });
    expect(shared?.provider).toBe('dynamodb');
    await shared?.close();
    expect(await createRateLimitStore({ ...settings, rateLimitStore: 'memory', workerRegistry: 'dynamodb' })).toBeUndefined();
    expect(await createRateLimitStore({ ...settings, workerRegistry: 'memory' })).toBeUndefined();
    const explicit = await createRateLimitStore({ ...settings, rateLimitStore: 'dynamodb' });
    expect(explicit?.provider).toBe('dynamodb');
    await explicit?.close();
    await expect(createRateLimitStore({ rateLimitStore: 'dynamodb' })).rejects.toThrow(/WORKER_REGISTRY_TABLE/);
  });
});
