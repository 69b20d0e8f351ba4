import { AppError } from '@review-assistant/shared';
import { DynamoLogStore } from './dynamo-log-store.js';
import { LocalLogStore } from './local-log-store.js';
import type { LogStore } from './log-store.js';

export interface LogStoreConfig {
  logStore: 'local' | 'dynamodb';
  logTable?: string | undefined;
  dataDir: string;
}

/** The one place that picks the interaction-log backend (`LOG_STORE`). */
export function createLogStore(config: LogStoreConfig): LogStore {
  switch (config.logStore) {
    case 'local':
      return new LocalLogStore(config.dataDir);
    case 'dynamodb':
      if (!config.logTable) {
        throw new AppError('bad_request', 'LOG_STORE=dynamodb needs LOG_TABLE (example: LOG_TABLE=review-assistant-interactions)');
      }
      return new DynamoLogStore({ table: config.logTable });
  }
}
