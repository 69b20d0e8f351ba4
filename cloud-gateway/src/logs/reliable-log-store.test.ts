import { mkdtemp, readdir, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { startDynalite, type DynaliteServer } from '../testing/dynalite-server.js';
import { startDynamoFaultProxy, type DynamoFaultProxy } from '../testing/dynamo-fault-proxy.js';
import { DynamoLogStore } from './dynamo-log-store.js';
import { hashSessionId, type InteractionRecord } from './interaction-record.js';
import { recordsInRange } from './log-store.js';
import { ReliableLogStore } from './reliable-log-store.js';

const DAY = { from: new Date('2026-11-21T00:00:00Z'), to: new Date('2026-11-22T00:00:00Z') };

function record(index: number): InteractionRecord {
  return {
    requestId: `req-${String(index).padStart(3, '0')}`,
    sessionId: hashSessionId(`session-${index % 3}`),
    createdAt: new Date(Date.parse('2026-11-21T10:00:00Z') + index * 1000).toISOString(),
    channel: 'ws',
    intent: { name: 'restaurant_reviews', confidence: 0.9, domain: 'dining', outOfScope: false },
    route: 'worker',
    workerId: 'w1',
    status: 'ok',
    latencyMs: 100 + index,
    timeToFirstTokenMs: 20,
    answerChars: 10,
    sources: 1,
    backend: 'offline',
  };
}

describe('ReliableLogStore over DynamoDB (dynalite behind a fault-injecting proxy)', () => {
  let dynamo: DynaliteServer;
  let proxy: DynamoFaultProxy;
  let spillRoot: string;
  let tableNumber = 0;
  let table: string;
  const stores: ReliableLogStore[] = [];

  beforeAll(async () => {
    dynamo = await startDynalite();
    proxy = await startDynamoFaultProxy(dynamo.endpoint);
    spillRoot = await mkdtemp(join(tmpdir(), 'log-spill-'));
  });
  afterEach(async () => {
    proxy.decide = () => ({ kind: 'forward' });
    proxy.seen.length = 0;
    for (const store of stores.splice(0)) await store.close();
  });
  afterAll(async () => {
    await proxy.close();
    await dynamo.close();
    await rm(spillRoot, { recursive: true, force: true });
  });

  let spilledCount = 0;
  async function open(options: { spill?: string; batchDelayMs?: number; maxAttempts?: number; closeTimeoutMs?: number } = {}) {
    spilledCount = 0;
    tableNumber += 1;
    table = `log-${tableNumber}`;
    await dynamo.createTables({ logTable: table, workerRegistryTable: 'workers' });
    const spillDirectory = options.spill ?? join(spillRoot, table);
    // maxAttempts 1: the SDK's own retries off, so every retry seen here is the store's
    const store = new ReliableLogStore(new DynamoLogStore({ table, client: { ...dynamo.clientConfig, endpoint: proxy.endpoint, maxAttempts: 1 } }), {
      spillDirectory,
      batchDelayMs: options.batchDelayMs ?? 5,
      maxAttempts: options.maxAttempts ?? 6,
      initialBackoffMs: 5,
      maxBackoffMs: 20,
      replayIntervalMs: 3_600_000,
      closeTimeoutMs: options.closeTimeoutMs ?? 5_000,
      onSpill: (records) => {
        spilledCount += records;
      },
    });
    stores.push(store);
    return { store, spillDirectory };
  }

  async function stored(): Promise<string[]> {
    const reader = new DynamoLogStore({ table, client: dynamo.clientConfig });
    const ids: string[] = [];
    for await (const item of recordsInRange(reader, DAY)) ids.push(item.requestId);
    await reader.close();
    return ids.sort();
  }

  it('writes in batches of at most 25 and retries records that DynamoDB leaves unprocessed (throttling)', async () => {
    const { store } = await open();
    let throttled = 0;
    const batchSizes: number[] = [];
    proxy.decide = (operation, body) => {
      if (operation !== 'BatchWriteItem') return { kind: 'forward' };
      batchSizes.push(Object.values((body as { RequestItems: Record<string, unknown[]> }).RequestItems)[0]!.length);
      if (throttled >= 3) return { kind: 'forward' };
      throttled += 1;
      return { kind: 'unprocessed', keep: 5 };
    };
    const records = Array.from({ length: 60 }, (_, index) => record(index));
    await Promise.all(records.map((item) => store.append(item)));
    expect(await stored()).toEqual(records.map((item) => item.requestId));
    // first batch of 25: 5 written per throttled call, the last 10 on the fourth; then 25 and 10
    expect(batchSizes).toEqual([25, 20, 15, 10, 25, 10]);
  });

  it('backs off and retries when a whole batch is refused with ProvisionedThroughputExceededException', async () => {
    const { store } = await open();
    let refused = 0;
    proxy.decide = (operation) => {
      if (operation !== 'BatchWriteItem' || refused >= 5) return { kind: 'forward' };
      refused += 1;
      return { kind: 'error', status: 400, type: 'ProvisionedThroughputExceededException', message: 'The level of configured provisioned throughput for the table was exceeded.' };
    };
    await store.append(record(1));
    expect(refused).toBe(5);
    expect(await stored()).toEqual(['req-001']);
  });

  it('spills what it cannot write to a local file, and a replay writes it once DynamoDB answers again', async () => {
    const { store, spillDirectory } = await open({ maxAttempts: 2 });
    proxy.decide = (operation) =>
      operation === 'BatchWriteItem' ? { kind: 'error', status: 500, type: 'InternalServerError', message: 'Internal server error' } : { kind: 'forward' };
    const records = Array.from({ length: 30 }, (_, index) => record(index));
    await Promise.all(records.map((item) => store.append(item)));
    expect(await stored()).toEqual([]);
    const spilled = (await readdir(spillDirectory)).filter((name) => name.startsWith('spill-'));
    expect(spilled).toHaveLength(1);
    const lines = (await readFile(join(spillDirectory, spilled[0]!), 'utf8')).trim().split('\n');
    expect(lines.map((line) => JSON.parse(line).requestId).sort()).toEqual(records.map((item) => item.requestId));
    expect(spilledCount).toBe(30);

    proxy.decide = () => ({ kind: 'forward' });
    await store.replaySpilled();
    expect(await stored()).toEqual(records.map((item) => item.requestId));
    expect(await readdir(spillDirectory)).toEqual([]);
  });

  it('replays spill files left by an earlier run when it starts', async () => {
    const first = await open({ maxAttempts: 1 });
    proxy.decide = () => ({ kind: 'error', status: 400, type: 'ResourceNotFoundException', message: 'Requested resource not found' });
    await first.store.append(record(7));
    await first.store.close();
    proxy.decide = () => ({ kind: 'forward' });
    const firstTable = table;
    const second = new ReliableLogStore(new DynamoLogStore({ table: firstTable, client: dynamo.clientConfig }), {
      spillDirectory: first.spillDirectory,
      initialBackoffMs: 5,
      replayIntervalMs: 3_600_000,
    });
    stores.push(second);
    const deadline = Date.now() + 10_000;
    while ((await stored()).length === 0 && Date.now() < deadline) await new Promise((resolve) => setTimeout(resolve, 20));
    expect(await stored()).toEqual(['req-007']);
    expect(await readdir(first.spillDirectory)).toEqual([]);
  });

  it('flushes every pending record on close(), and spills one appended after close()', async () => {
    const { store, spillDirectory } = await open({ batchDelayMs: 60_000 });
    const records = Array.from({ length: 7 }, (_, index) => record(index));
    for (const item of records) void store.append(item);
    await store.close();
    expect(await stored()).toEqual(records.map((item) => item.requestId));
    await store.append(record(99));
    const spilled = await readdir(spillDirectory);
    expect(spilled).toHaveLength(1);
    expect(JSON.parse(await readFile(join(spillDirectory, spilled[0]!), 'utf8')).requestId).toBe('req-099');
  });

  it('stops retrying at the close deadline and spills the rest instead of hanging', async () => {
    const { store, spillDirectory } = await open({ maxAttempts: 1000, closeTimeoutMs: 200 });
    proxy.decide = () => ({ kind: 'error', status: 400, type: 'ThrottlingException', message: 'Rate of requests exceeds the allowed throughput.' });
    void store.append(record(1));
    await store.close();
    const spilled = await readdir(spillDirectory);
    expect(spilled).toHaveLength(1);
    expect(JSON.parse(await readFile(join(spillDirectory, spilled[0]!), 'utf8')).requestId).toBe('req-001');
  });
});
