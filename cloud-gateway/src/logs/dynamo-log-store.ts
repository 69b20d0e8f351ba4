import { DynamoDBClient, type DynamoDBClientConfig } from '@aws-sdk/client-dynamodb';
import { DynamoDBDocumentClient, PutCommand } from '@aws-sdk/lib-dynamodb';
import type { InteractionRecord } from './interaction-record.js';
import type { LogStore } from './log-store.js';

/** Records live this long before DynamoDB's TTL deletes them. */
export const LOG_RETENTION_SECONDS = 30 * 24 * 60 * 60;

export interface DynamoLogStoreOptions {
  table: string;
  /** Client settings (region, endpoint for dynalite, credentials); default: the SDK's default chain. */
  client?: DynamoDBClientConfig;
  /** @default 30 days */
  retentionSeconds?: number;
}

/**
 * Interaction log in DynamoDB: partition key `sessionId` (S), sort key `createdAt` (S, ISO time +
 * `#` + request id, so two turns in the same millisecond never collide), TTL attribute `expiresAt`
 * (N, epoch seconds).
 */
export class DynamoLogStore implements LogStore {
  readonly provider = 'dynamodb';
  private readonly documents: DynamoDBDocumentClient;
  private readonly client: DynamoDBClient;

  constructor(private readonly options: DynamoLogStoreOptions) {
    this.client = new DynamoDBClient(options.client ?? {});
    this.documents = DynamoDBDocumentClient.from(this.client, { marshallOptions: { removeUndefinedValues: true } });
  }

  async append(record: InteractionRecord): Promise<void> {
    const expiresAt = Math.floor(Date.parse(record.createdAt) / 1000) + (this.options.retentionSeconds ?? LOG_RETENTION_SECONDS);
    await this.documents.send(
      new PutCommand({
        TableName: this.options.table,
        Item: { ...record, createdAt: `${record.createdAt}#${record.requestId}`, startedAt: record.createdAt, day: record.createdAt.slice(0, 10), expiresAt },
      }),
    );
  }

  async close(): Promise<void> {
    this.client.destroy();
  }
}
