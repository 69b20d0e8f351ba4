import { writeSync } from 'node:fs';
import { mkdtemp, readFile, readdir, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { DynamoDBDocumentClient, QueryCommand } from '@aws-sdk/lib-dynamodb';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startDynalite, type DynaliteServer } from '../testing/dynalite-server.js';
import { createLogStore } from './create-log-store.js';
import { DynamoLogStore, LOG_RETENTION_SECONDS } from './dynamo-log-store.js';
import { hashSessionId, InteractionRecordSchema, truncateMessage, type InteractionRecord } from './interaction-record.js';
import { LocalLogStore } from './local-log-store.js';
import { recordsInRange, type LogReader } from './log-store.js';

function record(overrides: Partial<InteractionRecord> = {}): InteractionRecord {
  return {
    requestId: 'req-1',
    sessionId: hashSessionId('session-a'),
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

/** 30 records, one every 17 minutes from 2026-11-21T20:00Z: they span three UTC days. */
const spread = Array.from({ length: 30 }, (_, index) =>
  record({ requestId: `r${String(index).padStart(2, '0')}`, createdAt: new Date(Date.parse('2026-11-21T20:00:00.000Z') + index * 17 * 60_000).toISOString() }),
);

/** The same queries against either store: ranges, pagination, newest first. */
function describeQueries(name: string, open: () => Promise<LogReader & { append?: (record: InteractionRecord) => Promise<void> }>) {
  describe(`${name} queries`, () => {
    let store: LogReader;
    beforeAll(async () => {
      store = await open();
    });

    it('returns exactly the records of a half-open range, oldest first, across day boundaries and pages', async () => {
      const from = new Date('2026-11-21T22:30:00.000Z');
      const to = new Date(spread[25]!.createdAt); // exclusive
      const expected = spread.filter((item) => item.createdAt >= from.toISOString() && item.createdAt < to.toISOString()).map((item) => item.requestId);
      expect(expected.length).toBeGreaterThan(10);
      const pages: string[][] = [];
      let cursor: string | undefined;
      do {
        const page = await store.query({ from, to, limit: 4, cursor });
        pages.push(page.records.map((item) => item.requestId));
        cursor = page.nextCursor ?? undefined;
      } while (cursor);
      expect(pages.flat()).toEqual(expected);
      expect(pages.length).toBeGreaterThan(2);
      expect(pages.slice(0, -1).every((page) => page.length === 4)).toBe(true);
      const all: string[] = [];
      for await (const item of recordsInRange(store, { from, to }, 7)) all.push(item.requestId);
      expect(all).toEqual(expected);
    });

    it('gives back every field of the record', async () => {
      const page = await store.query({ from: new Date(spread[3]!.createdAt), to: new Date(Date.parse(spread[3]!.createdAt) + 1), limit: 10 });
      expect(page.records).toEqual([spread[3]]);
    });

    it('rejects a cursor it did not make with a 400', async () => {
      await expect(store.query({ from: new Date('2026-11-21T00:00:00Z'), to: new Date('2026-11-22T00:00:00Z'), cursor: 'bm90LWEtY3Vyc29y' })).rejects.toMatchObject({
        code: 'bad_request',
      });
    });
  });
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
    const store = new LocalLogStore(join(dataDir, 'a'));
    await Promise.all([
      store.append(record({ requestId: 'a' })),
      store.append(record({ requestId: 'b' })),
      store.append(record({ requestId: 'c', createdAt: '2026-11-22T00:00:00.100Z' })),
    ]);
    await store.close();
    const logs = join(dataDir, 'a', 'logs');
    expect((await readdir(logs)).sort()).toEqual(['interactions-2026-11-21.jsonl', 'interactions-2026-11-22.jsonl']);
    const lines = (await readFile(join(logs, 'interactions-2026-11-21.jsonl'), 'utf8')).trim().split('\n');
    expect(lines.map((line) => InteractionRecordSchema.parse(JSON.parse(line)).requestId)).toEqual(['a', 'b']);
    expect(JSON.parse(lines[0]!).message).toBe('Which place has the best pasta? 🍝');
  });

  it('writes a record appended right before close() (close waits for pending appends)', async () => {
    const store = new LocalLogStore(join(dataDir, 'b'));
    void store.append(record({ requestId: 'last' }));
    await store.close();
    const text = await readFile(join(dataDir, 'b', 'logs', 'interactions-2026-11-21.jsonl'), 'utf8');
    expect(text.trim().split('\n').map((line) => JSON.parse(line).requestId)).toEqual(['last']);
  });

  it('lists the newest records first, across day files, skipping a line cut by a crash', async () => {
    const store = new LocalLogStore(join(dataDir, 'c'));
    for (const item of spread) await store.append(item);
    await store.close();
    const { appendFile } = await import('node:fs/promises');
    await appendFile(join(dataDir, 'c', 'logs', 'interactions-2026-11-23.jsonl'), '{"requestId":"cut-off');
    expect((await store.recent(5)).map((item) => item.requestId)).toEqual(['r29', 'r28', 'r27', 'r26', 'r25']);
    expect(await store.recent(100)).toHaveLength(30);
  });

  it('after a write that failed part way (ENOSPC), starts the next record on a new line of a reopened file', async () => {
    let failNext = false;
    let short = false;
    // as a filling disk does: a short write of 10 bytes of the line, then ENOSPC
    const write = (fd: number, buffer: Buffer, offset: number) => {
      if (!failNext) return writeSync(fd, buffer, offset);
      if (short) {
        failNext = short = false;
        throw Object.assign(new Error('ENOSPC: no space left on device, write'), { code: 'ENOSPC' });
      }
      short = true;
      return writeSync(fd, buffer, offset, 10);
    };
    const store = new LocalLogStore(join(dataDir, 'e'), { write });
    await store.append(record({ requestId: 'before' }));
    failNext = true;
    await expect(store.append(record({ requestId: 'cut' }))).rejects.toMatchObject({ code: 'ENOSPC' });
    await store.append(record({ requestId: 'after' }));
    await store.close();
    const lines = (await readFile(join(dataDir, 'e', 'logs', 'interactions-2026-11-21.jsonl'), 'utf8')).split('\n');
    expect(lines).toHaveLength(4);
    expect(lines[1]).toBe('{"requestI');
    expect([lines[0], lines[2]].map((line) => JSON.parse(line!).requestId)).toEqual(['before', 'after']);
    expect((await store.recent(10)).map((item) => item.requestId)).toEqual(['after', 'before']);
  });

  it('refuses appends after close() instead of reopening a file nobody closes', async () => {
    const store = new LocalLogStore(join(dataDir, 'f'));
    await store.append(record({ requestId: 'open' }));
    await store.close();
    await expect(store.append(record({ requestId: 'late' }))).rejects.toThrow(/closed/);
    expect((await store.recent(10)).map((item) => item.requestId)).toEqual(['open']);
  });

  it('makes the log directory again when it was deleted while the store runs', async () => {
    const store = new LocalLogStore(join(dataDir, 'g'));
    await store.append(record({ requestId: 'first' }));
    await rm(join(dataDir, 'g', 'logs'), { recursive: true });
    // the next day's file is opened in a directory that is gone
    await store.append(record({ requestId: 'next-day', createdAt: '2026-11-22T00:00:01.000Z' }));
    await store.close();
    expect((await store.recent(10)).map((item) => item.requestId)).toEqual(['next-day']);
  });

  it('stores a session id as the first 32 hex digits of its UTF-8 SHA-256 (sha256sum of the bytes)', () => {
    expect(hashSessionId('session-1')).toBe('84097828fc31a8c8d29210df48901a85');
    expect(hashSessionId('séance 🍝')).toBe('cb0794a12ed12d0d440fd35392dcec80');
    expect(hashSessionId(undefined)).toBe('anonymous');
  });

  it('truncates long messages', () => {
    expect(truncateMessage('x'.repeat(2000))).toHaveLength(501);
    expect(truncateMessage('short')).toBe('short');
  });

  describeQueries('LocalLogStore', async () => {
    const store = new LocalLogStore(join(dataDir, 'd'));
    for (const item of spread) await store.append(item);
    await store.close();
    return store;
  });
});

describe('DynamoLogStore against dynalite', () => {
  let dynamo: DynaliteServer;
  const table = 'interactions-test';

  beforeAll(async () => {
    dynamo = await startDynalite();
    await dynamo.createTables({ logTable: table, workerRegistryTable: 'workers-test' });
  });
  afterAll(async () => {
    await dynamo.close();
  });

  it('writes records keyed by hashed session and time#request id, with the day index key and a 30-day TTL', async () => {
    const store = new DynamoLogStore({ table, client: dynamo.clientConfig });
    expect(await store.writeBatch([record({ requestId: 'x1' }), record({ requestId: 'x2' }), record({ requestId: 'x3', sessionId: hashSessionId('session-b') })])).toEqual([]);
    await store.close();
    const documents = DynamoDBDocumentClient.from(new DynamoDBClient(dynamo.clientConfig));
    const result = await documents.send(
      new QueryCommand({ TableName: table, KeyConditionExpression: 'sessionId = :s', ExpressionAttributeValues: { ':s': hashSessionId('session-a') } }),
    );
    expect(result.Items?.map((item) => item.createdAt)).toEqual(['2026-11-21T23:59:59.500Z#x1', '2026-11-21T23:59:59.500Z#x2']);
    const first = result.Items?.[0];
    expect(first?.day).toBe('2026-11-21');
    expect(first?.expiresAt).toBe(Math.floor(Date.parse('2026-11-21T23:59:59.500Z') / 1000) + LOG_RETENTION_SECONDS);
    expect(first).toMatchObject({ route: 'worker', intent: { name: 'restaurant_reviews' }, status: 'ok' });
    documents.destroy();
  });

  it('rejects when the table does not exist, so the caller can retry or spill', async () => {
    const store = new DynamoLogStore({ table: 'missing-table', client: dynamo.clientConfig });
    await expect(store.writeBatch([record()])).rejects.toThrow(/resource|table/i);
    await store.close();
  });

  describeQueries('DynamoLogStore', async () => {
    await dynamo.createTables({ logTable: 'spread', workerRegistryTable: 'workers-test' });
    const store = new DynamoLogStore({ table: 'spread', client: dynamo.clientConfig });
    for (let start = 0; start < spread.length; start += store.maxBatch) {
      expect(await store.writeBatch(spread.slice(start, start + store.maxBatch))).toEqual([]);
    }
    return store;
  });

  it('lists the newest records first (today and the days before)', async () => {
    await dynamo.createTables({ logTable: 'recent', workerRegistryTable: 'workers-test' });
    const store = new DynamoLogStore({ table: 'recent', client: dynamo.clientConfig });
    const now = Date.now();
    const items = [3, 2, 1].map((hoursAgo) => record({ requestId: `h${hoursAgo}`, createdAt: new Date(now - hoursAgo * 3_600_000 * 10).toISOString() }));
    await store.writeBatch(items);
    expect((await store.recent(2)).map((item) => item.requestId)).toEqual(['h1', 'h2']);
    expect((await store.recent(10)).map((item) => item.requestId)).toEqual(['h1', 'h2', 'h3']);
    await store.close();
  });
});

describe('createLogStore', () => {
  it('picks the backend from LOG_STORE and requires LOG_TABLE for DynamoDB', async () => {
    expect((await createLogStore({ logStore: 'local', dataDir: '/tmp/x' })).provider).toBe('local');
    const dynamo = await createLogStore({ logStore: 'dynamodb', logTable: 'table', dataDir: '/tmp/x', dynamodbEndpoint: 'http://127.0.0.1:9' });
    expect(dynamo.provider).toBe('dynamodb');
    await dynamo.close();
    await expect(createLogStore({ logStore: 'dynamodb', dataDir: '/tmp/x' })).rejects.toThrow(/LOG_TABLE/);
  });
});
