/**
 * The gateway's DynamoDB tables as plain data: the one description that the CDK stack
 * (`infra/src/tables/table-definitions.ts` re-exports it), `npm run dynamodb:tables` (local
 * DynamoDB-compatible servers) and the gateway's own stores all read. No AWS or CDK import here.
 */

export type AttributeType = 'S' | 'N';

export interface KeyAttribute {
  name: string;
  type: AttributeType;
}

/** Provisioned capacity of a table or index (25 RCU / 25 WCU in total are in the always-free tier). */
export interface ProvisionedCapacity {
  readCapacity: number;
  writeCapacity: number;
}

export interface GlobalSecondaryIndexDefinition {
  indexName: string;
  partitionKey: KeyAttribute;
  sortKey: KeyAttribute;
  /** Attributes copied into the index: every one (`ALL`) or the keys plus the listed ones. */
  projection: { type: 'ALL' } | { type: 'INCLUDE'; attributes: readonly string[] };
  capacity: ProvisionedCapacity;
}

export interface TableDefinition {
  /** Construct id in the stack and a readable name in messages. */
  id: string;
  /** Environment variable that names the table for the gateway and `npm run dynamodb:tables`. */
  tableNameVariable: 'LOG_TABLE' | 'WORKER_REGISTRY_TABLE';
  /** Table name used by `npm run dynamodb:tables` when the variable is unset (local servers only). */
  localTableName: string;
  partitionKey: KeyAttribute;
  sortKey: KeyAttribute;
  /** Number attribute (epoch seconds) DynamoDB's TTL deletes items by. */
  timeToLiveAttribute: string;
  /**
   * Provisioned inside the always-free tier (on-demand has no free requests); the stack may raise
   * the capacity through its context.
   */
  billing: { mode: 'PROVISIONED' } & ProvisionedCapacity;
  globalSecondaryIndexes: readonly GlobalSecondaryIndexDefinition[];
}

/**
 * The interaction log, one item per chat turn. `sessionId` holds the hashed session id,
 * `createdAt` is `<ISO time>#<request id>` (two turns in one millisecond never collide), `day` is
 * the UTC day `YYYY-MM-DD` of the turn. The `byDay` index serves the time-ordered analytics
 * queries: one partition per day, sorted by time, read by range and paginated.
 */
export const interactionLogTable = {
  id: 'InteractionLog',
  tableNameVariable: 'LOG_TABLE',
  localTableName: 'review-assistant-interactions',
  partitionKey: { name: 'sessionId', type: 'S' },
  sortKey: { name: 'createdAt', type: 'S' },
  timeToLiveAttribute: 'expiresAt',
  billing: { mode: 'PROVISIONED', readCapacity: 5, writeCapacity: 5 },
  globalSecondaryIndexes: [
    {
      indexName: 'byDay',
      partitionKey: { name: 'day', type: 'S' },
      sortKey: { name: 'createdAt', type: 'S' },
      projection: { type: 'ALL' },
      capacity: { readCapacity: 5, writeCapacity: 5 },
    },
  ],
} as const satisfies TableDefinition;

/**
 * Shared state of a gateway fleet (`WORKER_REGISTRY=dynamodb`): the worker registry (partition
 * `worker`, one item per worker id, sort key = the id) and the shared rate-limit buckets (partition
 * `limit#<limiter>#<client>`, sort key `bucket`). Both expire through the TTL attribute.
 */
export const workerRegistryTable = {
  id: 'WorkerRegistry',
  tableNameVariable: 'WORKER_REGISTRY_TABLE',
  localTableName: 'review-assistant-workers',
  partitionKey: { name: 'pk', type: 'S' },
  sortKey: { name: 'sk', type: 'S' },
  timeToLiveAttribute: 'expiresAt',
  billing: { mode: 'PROVISIONED', readCapacity: 5, writeCapacity: 5 },
  globalSecondaryIndexes: [],
} as const satisfies TableDefinition;

/** Every table the gateway uses, in creation order. */
export const gatewayTables: readonly TableDefinition[] = [interactionLogTable, workerRegistryTable];
