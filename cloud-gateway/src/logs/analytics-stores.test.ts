import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startDynalite, type DynaliteServer } from '../testing/dynalite-server.js';
import { computeAnalytics } from './analytics.js';
import { DynamoLogStore } from './dynamo-log-store.js';
import type { InteractionRecord } from './interaction-record.js';
import { LocalLogStore } from './local-log-store.js';
import { recordsInRange, type LogRange } from './log-store.js';

/** 200 turns over 50 hours (three UTC days), with every route, some errors and cancellations. */
const records: InteractionRecord[] = Array.from({ length: 200 }, (_, index) => ({
  requestId: `t${index}`,
  sessionId: `s${index % 9}`,
  createdAt: new Date(Date.parse('2026-11-20T22:00:00Z') + index * 15 * 60_000 + (index % 7) * 1000).toISOString(),
  channel: (['sse', 'ws', 'openai', 'ollama'] as const)[index % 4]!,
  intent: { name: `intent-${index % 6}`, confidence: 0.5, domain: 'dining', outOfScope: false },
  route: (['worker', 'worker', 'smalltalk', 'decline'] as const)[index % 4]!,
  workerId: index % 4 < 2 ? `w${index % 3}` : null,
  status: index % 13 === 0 ? 'error:worker_timeout' : index % 19 === 0 ? 'cancelled' : 'ok',
  latencyMs: (index * 7919) % 5000,
  timeToFirstTokenMs: index % 13 === 0 ? null : (index * 104_729) % 900,
  answerChars: 10,
  sources: 1,
  backend: 'offline',
}));

describe('analytics over either log store', () => {
  let dataDir: string;
  let dynamo: DynaliteServer;
  beforeAll(async () => {
    dataDir = await mkdtemp(join(tmpdir(), 'analytics-stores-'));
    dynamo = await startDynalite();
    await dynamo.createTables({ logTable: 'log', workerRegistryTable: 'workers' });
  });
  afterAll(async () => {
    await dynamo.close();
    await rm(dataDir, { recursive: true, force: true });
  });

  it('gives the same answer from the local JSONL files and from the DynamoDB day index as from the records themselves', async () => {
    const local = new LocalLogStore(dataDir);
    for (const record of records) await local.append(record);
    await local.close();
    const dynamoStore = new DynamoLogStore({ table: 'log', client: dynamo.clientConfig });
    for (let start = 0; start < records.length; start += dynamoStore.maxBatch) await dynamoStore.writeBatch(records.slice(start, start + dynamoStore.maxBatch));

    const ranges: LogRange[] = [
      { from: new Date('2026-11-20T00:00:00Z'), to: new Date('2026-11-23T00:00:00Z') },
      { from: new Date('2026-11-21T03:30:00Z'), to: new Date('2026-11-22T01:07:00Z') },
    ];
    for (const range of ranges) {
      const expected = await computeAnalytics(records, range);
      expect(expected.turns).toBeGreaterThan(50);
      expect(await computeAnalytics(recordsInRange(local, range, 17), range)).toEqual(expected);
      expect(await computeAnalytics(recordsInRange(dynamoStore, range, 17), range)).toEqual(expected);
    }
    await dynamoStore.close();
  });
});
