import {
  CreateTableCommand,
  type CreateTableCommandInput,
  DescribeTableCommand,
  type DynamoDBClient,
  ResourceInUseException,
  ResourceNotFoundException,
  UpdateTimeToLiveCommand,
  waitUntilTableExists,
} from '@aws-sdk/client-dynamodb';
import type { KeyAttribute, TableDefinition } from '@review-assistant/shared';

/** The CreateTable request for one table definition (key schema, attributes, indexes, billing). */
export function createTableInput(definition: TableDefinition, tableName: string): CreateTableCommandInput {
  const keys: KeyAttribute[] = [definition.partitionKey, definition.sortKey];
  for (const index of definition.globalSecondaryIndexes) keys.push(index.partitionKey, index.sortKey);
  const attributes = new Map(keys.map((key) => [key.name, key.type]));
  const keySchema = (partition: KeyAttribute, sort: KeyAttribute) => [
    { AttributeName: partition.name, KeyType: 'HASH' as const },
    { AttributeName: sort.name, KeyType: 'RANGE' as const },
  ];
  return {
    TableName: tableName,
    AttributeDefinitions: [...attributes].map(([name, type]) => ({ AttributeName: name, AttributeType: type })),
    KeySchema: keySchema(definition.partitionKey, definition.sortKey),
    BillingMode: 'PROVISIONED',
    ProvisionedThroughput: { ReadCapacityUnits: definition.billing.readCapacity, WriteCapacityUnits: definition.billing.writeCapacity },
    ...(definition.globalSecondaryIndexes.length === 0
      ? {}
      : {
          GlobalSecondaryIndexes: definition.globalSecondaryIndexes.map((index) => ({
            IndexName: index.indexName,
            KeySchema: keySchema(index.partitionKey, index.sortKey),
            Projection:
              index.projection.type === 'ALL'
                ? { ProjectionType: 'ALL' as const }
                : { ProjectionType: 'INCLUDE' as const, NonKeyAttributes: [...index.projection.attributes] },
            ProvisionedThroughput: { ReadCapacityUnits: index.capacity.readCapacity, WriteCapacityUnits: index.capacity.writeCapacity },
          })),
        }),
  };
}

export interface EnsuredTable {
  id: string;
  tableName: string;
  /** `created` now, or `exists` already (nothing changed). */
  outcome: 'created' | 'exists';
  /** False when the endpoint has no TTL support (dynalite): items there never expire. */
  timeToLive: boolean;
}

/**
 * Creates the table if it does not exist yet (idempotent: an existing table is left as it is),
 * waits until it is active and turns on its TTL attribute.
 */
export async function ensureTable(client: DynamoDBClient, definition: TableDefinition, tableName: string): Promise<EnsuredTable> {
  let outcome: EnsuredTable['outcome'] = 'exists';
  try {
    await client.send(new DescribeTableCommand({ TableName: tableName }));
  } catch (error) {
    if (!(error instanceof ResourceNotFoundException)) throw error;
    try {
      await client.send(new CreateTableCommand(createTableInput(definition, tableName)));
      outcome = 'created';
    } catch (createError) {
      // another process created it between our describe and create: that is the goal reached
      if (!(createError instanceof ResourceInUseException)) throw createError;
    }
  }
  await waitUntilTableExists({ client, maxWaitTime: 120, minDelay: 1, maxDelay: 5 }, { TableName: tableName });
  return { id: definition.id, tableName, outcome, timeToLive: await enableTimeToLive(client, definition, tableName) };
}

async function enableTimeToLive(client: DynamoDBClient, definition: TableDefinition, tableName: string): Promise<boolean> {
  try {
    await client.send(
      new UpdateTimeToLiveCommand({ TableName: tableName, TimeToLiveSpecification: { AttributeName: definition.timeToLiveAttribute, Enabled: true } }),
    );
    return true;
  } catch (error) {
    const name = error instanceof Error ? error.name : '';
    // already on (DynamoDB answers ValidationException "TimeToLive is already enabled")
    if (name === 'ValidationException' && /already enabled/i.test((error as Error).message)) return true;
    // local servers without the TTL API (dynalite answers UnknownOperationException)
    if (name === 'UnknownOperationException') return false;
    throw error;
  }
}
