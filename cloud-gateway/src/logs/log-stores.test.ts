import { mkdtemp, readFile, readdir, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { DynamoDBDocumentClient, QueryCommand } from '@aws-sdk/lib-dynamodb';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createLogStore } from './create-log-store.js';
import { DynamoLogStore, LOG_RETENTION_SECONDS } from './dynamo-log-store.js';
import { InteractionRecordSchema, truncateMessage, type InteractionRecord } from './interaction-record.js';
import { LocalLogStore } from './local-log-store.js';
import { startDynalite, type DynaliteServer } from '../testing/dynalite-server.js';

function record(overrides: Partial<InteractionRecord> = {}): InteractionRecord {
  return {
    requestId: 'req-1',
    sessionId: 'session-a',
    createdAt: '2026-11-21T23:59:59.500Z',
    channel: 'sse',
    intent: { name: 'restaurant_reviews', confidence: 0.91, domain: 'dining', outOfScope: false },
    route: 'worker',
    workerId: 'w1',
    status: 'ok',
    latencyMs: 120,
    timeToFirstTokenMs: 30,
    answerChars: 200,
    sources: 2,
    message: 'Which place has the best pasta? 🍝',
    backend: 'offline',
    ...overrides,
  };
}

describe('LocalLogStore', () => {
  let dataDir: string;
  beforeAll(async () => {
    dataDir = await mkdtemp(join(tmpdir(), 'gateway-logs-'));
  });
  afterAll(async () => {
    await rm(dataDir, { recursive: true, force: true });
  });

  it('appends one JSON line per interaction, in order, into a file per UTC day', async () => {
    const store = new LocalLogStore(dataDir);
    await Promise.all([
      store.append(record({ requestId: 'a' })),
      store.append(record({ requestId: 'b' })),
      store.append(record({ requestId: 'c', createdAt: '2026-11-22T00:00:00.100Z' })),
    ]);
    await store.close();
    expect((await readdir(join(dataDir, 'logs'))).sort()).toEqual(['interactions-2026-11-21.jsonl', 'interactions-2026-11-22.jsonl']);
    const lines = (await readFile(join(dataDir, 'logs', 'interactions-2026-11-21.jsonl'), 'utf8')).trim().split('\n');
    expect(lines.map((line) => InteractionRecordSchema.parse(JSON.parse(line)).requestId)).toEqual(['a', 'b']);
    expect(JSON.parse(lines[0]!).message).toBe('Which place has the best pasta? 🍝');
  });

  it('truncates long messages', () => {
    expect(truncateMessage('x'.repeat(2000))).toHaveLength(501);
    expect(truncateMessage('short')).toBe('short');
  });
});

describe('DynamoLogStore against dynalite', () => {
  let dynamo: DynaliteServer;
  const table = 'interactions-test';
  const clientConfig = () => dynamo.clientConfig;

  beforeAll(async () => {
    dynamo = await startDynalite();
    await dynamo.createTables({ logTable: table, workerRegistryTable: 'workers-test' });
  });
  afterAll(async () => {
    await dynamo.close();
  });

  it('writes records keyed by session and time#request id with a 30-day TTL', async () => {
    const store = new DynamoLogStore({ table, client: clientConfig() });
    await store.append(record({ requestId: 'r1' }));
    await store.append(record({ requestId: 'r2' })); // same millisecond, different request
    await store.append(record({ requestId: 'r3', sessionId: 'session-b' }));
    await store.close();
    const documents = DynamoDBDocumentClient.from(new DynamoDBClient(clientConfig()));
    const result = await documents.send(
      new QueryCommand({ TableName: table, KeyConditionExpression: 'sessionId = :s', ExpressionAttributeValues: { ':s': 'session-a' } }),
    );
    expect(result.Items?.map((item) => item.createdAt)).toEqual(['2026-11-21T23:59:59.500Z#r1', '2026-11-21T23:59:59.500Z#r2']);
    const first = result.Items?.[0];
    expect(first?.expiresAt).toBe(Math.floor(Date.parse('2026-11-21T23:59:59.500Z') / 1000) + LOG_RETENTION_SECONDS);
    expect(first).toMatchObject({ route: 'worker', intent: { name: 'restaurant_reviews' }, status: 'ok', message: 'Which place has the best pasta? 🍝' });
    documents.destroy();
  });

  it('rejects when the table does not exist, so the caller can log the failure', async () => {
    const store = new DynamoLogStore({ table: 'missing-table', client: clientConfig() });
    await expect(store.append(record())).rejects.toThrow(/resource|table/i);
    await store.close();
  });
});

describe('createLogStore', () => {
  it('picks the backend from LOG_STORE and requires LOG_TABLE for DynamoDB', () => {
    expect(createLogStore({ logStore: 'local', dataDir: '/tmp/x' }).provider).toBe('local');
    expect(createLogStore({ logStore: 'dynamodb', logTable: 'table', dataDir: '/tmp/x' }).provider).toBe('dynamodb');
    expect(() => createLogStore({ logStore: 'dynamodb', dataDir: '/tmp/x' })).toThrow(/LOG_TABLE/);
  });
});
