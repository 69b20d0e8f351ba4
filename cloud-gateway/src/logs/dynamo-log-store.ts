import { DynamoDBClient, type DynamoDBClientConfig } from '@aws-sdk/client-dynamodb';
import { BatchWriteCommand, DynamoDBDocumentClient, QueryCommand } from '@aws-sdk/lib-dynamodb';
import { z } from 'zod';
import { interactionLogTable } from '@review-assistant/shared';
import { InteractionRecordSchema, type InteractionRecord } from './interaction-record.js';
import { daysOf, decodeCursor, encodeCursor, type LogPage, type LogQuery, type LogReader } from './log-store.js';

/** Records live this long before DynamoDB's TTL deletes them. */
export const LOG_RETENTION_SECONDS = 30 * 24 * 60 * 60;

/** BatchWriteItem takes at most 25 put requests (DynamoDB API reference). */
export const DYNAMO_BATCH_LIMIT = 25;

/** How many days back `recent()` looks for records. */
const RECENT_DAYS = 7;

const keys = {
  partition: interactionLogTable.partitionKey.name,
  sort: interactionLogTable.sortKey.name,
  index: interactionLogTable.globalSecondaryIndexes[0],
  ttl: interactionLogTable.timeToLiveAttribute,
};

export interface DynamoLogStoreOptions {
  table: string;
  /** Client settings (region, endpoint for dynalite, credentials); default: the SDK's default chain. */
  client?: DynamoDBClientConfig;
  /** @default 30 days */
  retentionSeconds?: number;
}

const CursorSchema = z.object({ day: z.string().regex(/^\d{4}-\d{2}-\d{2}$/), key: z.record(z.string(), z.unknown()).nullable() });

/**
 * Interaction log in DynamoDB (`interactionLogTable` in shared/src/table-definitions.ts): partition
 * key `sessionId` (the hashed session), sort key `createdAt` (`<ISO time>#<request id>`), `day`
 * for the `byDay` time index, TTL attribute `expiresAt` (epoch seconds). Writes go in batches
 * (`ReliableLogStore` adds retries and the spill file); reads query the index day by day.
 */
export class DynamoLogStore implements LogReader {
  readonly provider = 'dynamodb';
  readonly maxBatch = DYNAMO_BATCH_LIMIT;
  private readonly documents: DynamoDBDocumentClient;
  private readonly client: DynamoDBClient;

  constructor(private readonly options: DynamoLogStoreOptions) {
    this.client = new DynamoDBClient(options.client ?? {});
    this.documents = DynamoDBDocumentClient.from(this.client, { marshallOptions: { removeUndefinedValues: true } });
  }

  /** Writes up to 25 records in one BatchWriteItem; returns the ones DynamoDB left unprocessed (throttling). */
  async writeBatch(records: InteractionRecord[]): Promise<InteractionRecord[]> {
    if (records.length === 0) return [];
    const byKey = new Map(records.map((record) => [`${record.createdAt}#${record.requestId}`, record]));
    const result = await this.documents.send(
      new BatchWriteCommand({ RequestItems: { [this.options.table]: records.map((record) => ({ PutRequest: { Item: this.toItem(record) } })) } }),
    );
    const unprocessed = result.UnprocessedItems?.[this.options.table] ?? [];
    return unprocessed.flatMap((request) => {
      const record = byKey.get(String(request.PutRequest?.Item?.[keys.sort]));
      return record ? [record] : [];
    });
  }

  async query(query: LogQuery): Promise<LogPage> {
    const limit = query.limit ?? 1000;
    const days = daysOf(query);
    const start = query.cursor === undefined ? { day: days[0] ?? '', key: null } : decodeCursor(query.cursor, (value) => CursorSchema.safeParse(value).data);
    const records: InteractionRecord[] = [];
    for (const day of days) {
      if (day < start.day) continue;
      let exclusiveStartKey = day === start.day ? (start.key ?? undefined) : undefined;
      do {
        const page = await this.documents.send(
          new QueryCommand({
            TableName: this.options.table,
            IndexName: keys.index.indexName,
            KeyConditionExpression: '#day = :day AND #sort BETWEEN :from AND :to',
            ExpressionAttributeNames: { '#day': keys.index.partitionKey.name, '#sort': keys.index.sortKey.name },
            // sort keys are `<ISO>#<id>`: every key of an instant t sorts after t's ISO string, so
            // BETWEEN from AND to is the half-open range [from, to)
            ExpressionAttributeValues: { ':day': day, ':from': query.from.toISOString(), ':to': query.to.toISOString() },
            Limit: limit - records.length,
            ...(exclusiveStartKey ? { ExclusiveStartKey: exclusiveStartKey } : {}),
          }),
        );
        for (const item of page.Items ?? []) {
          const record = fromItem(item);
          if (record) records.push(record);
        }
        exclusiveStartKey = page.LastEvaluatedKey;
        if (records.length >= limit) {
          return exclusiveStartKey || day !== days.at(-1)
            ? { records, nextCursor: encodeCursor(exclusiveStartKey ? { day, key: exclusiveStartKey } : { day: nextDay(day), key: null }) }
            : { records, nextCursor: null };
        }
      } while (exclusiveStartKey);
    }
    return { records, nextCursor: null };
  }

  async recent(limit: number): Promise<InteractionRecord[]> {
    const newest: InteractionRecord[] = [];
    const today = Date.now();
    for (let back = 0; back < RECENT_DAYS && newest.length < limit; back += 1) {
      const day = new Date(today - back * 86_400_000).toISOString().slice(0, 10);
      const page = await this.documents.send(
        new QueryCommand({
          TableName: this.options.table,
          IndexName: keys.index.indexName,
          KeyConditionExpression: '#day = :day',
          ExpressionAttributeNames: { '#day': keys.index.partitionKey.name },
          ExpressionAttributeValues: { ':day': day },
          ScanIndexForward: false,
          Limit: limit - newest.length,
        }),
      );
      for (const item of page.Items ?? []) {
        const record = fromItem(item);
        if (record) newest.push(record);
      }
    }
    return newest;
  }

  async close(): Promise<void> {
    this.client.destroy();
  }

  private toItem(record: InteractionRecord): Record<string, unknown> {
    const expiresAt = Math.floor(Date.parse(record.createdAt) / 1000) + (this.options.retentionSeconds ?? LOG_RETENTION_SECONDS);
    return {
      ...record,
      [keys.sort]: `${record.createdAt}#${record.requestId}`,
      startedAt: record.createdAt,
      [keys.index.partitionKey.name]: record.createdAt.slice(0, 10),
      [keys.ttl]: expiresAt,
    };
  }
}

function fromItem(item: Record<string, unknown>): InteractionRecord | undefined {
  const parsed = InteractionRecordSchema.safeParse({ ...item, createdAt: item.startedAt });
  return parsed.success ? parsed.data : undefined;
}

function nextDay(day: string): string {
  return new Date(Date.parse(`${day}T00:00:00Z`) + 86_400_000).toISOString().slice(0, 10);
}
