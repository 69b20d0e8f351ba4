import type { AddressInfo } from 'node:net';
import { DynamoDBClient, type DynamoDBClientConfig } from '@aws-sdk/client-dynamodb';
import dynalite from 'dynalite';
import { gatewayTables } from '@review-assistant/shared';
import { ensureTable } from '../dynamodb/ensure-tables.js';

export interface DynaliteServer {
  /** `http://127.0.0.1:<port>`, the value for `AWS_ENDPOINT_URL_DYNAMODB`. */
  endpoint: string;
  /** Client settings for the real AWS SDK pointed at this server. */
  clientConfig: DynamoDBClientConfig;
  /** Creates the gateway's tables (log, registry) from the shared definitions under these names. */
  createTables(names: { logTable: string; workerRegistryTable: string }): Promise<void>;
  close(): Promise<void>;
}

/** A dynalite server on a free loopback port (tests only): a real DynamoDB API in memory. */
export async function startDynalite(): Promise<DynaliteServer> {
  const server = dynalite({ createTableMs: 0, deleteTableMs: 0, updateTableMs: 0 });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', () => resolve()));
  const endpoint = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  const clientConfig: DynamoDBClientConfig = { endpoint, region: 'us-east-1', credentials: { accessKeyId: 'test', secretAccessKey: 'test' } };
  return {
    endpoint,
    clientConfig,
    async createTables(names) {
      const client = new DynamoDBClient(clientConfig);
      try {
        for (const definition of gatewayTables) {
          await ensureTable(client, definition, definition.tableNameVariable === 'LOG_TABLE' ? names.logTable : names.workerRegistryTable);
        }
      } finally {
        client.destroy();
      }
    },
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}
