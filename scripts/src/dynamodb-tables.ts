/**
 * `npm run dynamodb:tables`: creates the interaction-log and worker-registry tables in the
 * DynamoDB-compatible server named by `AWS_ENDPOINT_URL_DYNAMODB` (dynalite, DynamoDB Local), from
 * the same definitions the CDK stack uses. Idempotent: existing tables are left as they are.
 * Table names come from `LOG_TABLE` and `WORKER_REGISTRY_TABLE` (defaults for local servers).
 */
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { ConfigError, environment, loadConfig, gatewayTables } from '@review-assistant/shared';
import { dynamoClientConfig, ensureTable } from '@review-assistant/cloud-gateway';

const spec = {
  endpoint: environment.dynamodbEndpoint,
  logTable: environment.logTable,
  workerRegistryTable: environment.workerRegistryTable,
};

async function main(): Promise<void> {
  const config = loadConfig(spec);
  if (!config.endpoint) {
    throw new Error(
      'AWS_ENDPOINT_URL_DYNAMODB is not set (example: AWS_ENDPOINT_URL_DYNAMODB=http://127.0.0.1:4567). On AWS the CDK stack creates these tables.',
    );
  }
  const names = { LOG_TABLE: config.logTable, WORKER_REGISTRY_TABLE: config.workerRegistryTable };
  const client = new DynamoDBClient(dynamoClientConfig(config.endpoint));
  try {
    for (const definition of gatewayTables) {
      const tableName = names[definition.tableNameVariable] ?? definition.localTableName;
      const table = await ensureTable(client, definition, tableName);
      const ttl = table.timeToLive ? `TTL on ${definition.timeToLiveAttribute}` : 'this server has no TTL: items never expire here';
      console.log(`${definition.tableNameVariable}=${table.tableName}: ${table.outcome} (${ttl})`);
    }
  } finally {
    client.destroy();
  }
}

main().catch((error: unknown) => {
  console.error(error instanceof ConfigError || error instanceof Error ? `dynamodb:tables: ${error.message}` : error);
  process.exit(1);
});
