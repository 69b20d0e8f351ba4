import { join } from 'node:path';
import type { Logger } from 'pino';
import { AppError } from '@review-assistant/shared';
import { dynamoClientConfig } from '../dynamodb/client-config.js';
import { LocalLogStore } from './local-log-store.js';
import type { LogStore } from './log-store.js';
import { ReliableLogStore } from './reliable-log-store.js';

export interface LogStoreConfig {
  logStore: 'local' | 'dynamodb';
  logTable?: string | undefined;
  dataDir: string;
  /** `AWS_ENDPOINT_URL_DYNAMODB`: a local DynamoDB-compatible server. */
  dynamodbEndpoint?: string | undefined;
  logger?: Logger;
  /** Called with the number of records that went to the spill file. */
  onSpill?: (records: number) => void;
}

/**
 * The one place that picks the interaction-log backend (`LOG_STORE`). DynamoDB writes go through
 * `ReliableLogStore` (batches, retries, spill file under `<dataDir>/logs/spill`). The AWS SDK
 * (several MiB of RSS) is loaded only by gateways that log to DynamoDB.
 */
export async function createLogStore(config: LogStoreConfig): Promise<LogStore> {
  switch (config.logStore) {
    case 'local':
      return new LocalLogStore(config.dataDir);
    case 'dynamodb': {
      const table = config.logTable;
      if (!table) {
        throw new AppError('bad_request', 'LOG_STORE=dynamodb needs LOG_TABLE (example: LOG_TABLE=review-assistant-interactions)');
      }
      const { DynamoLogStore } = await import('./dynamo-log-store.js');
      const target = new DynamoLogStore({ table, client: dynamoClientConfig(config.dynamodbEndpoint) });
      return new ReliableLogStore(target, {
        spillDirectory: join(config.dataDir, 'logs', 'spill'),
        ...(config.logger ? { logger: config.logger } : {}),
        ...(config.onSpill ? { onSpill: config.onSpill } : {}),
      });
    }
  }
}
