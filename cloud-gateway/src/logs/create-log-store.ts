import { AppError } from '@review-assistant/shared';
import type { InteractionRecord } from './interaction-record.js';
import { LocalLogStore } from './local-log-store.js';
import type { LogStore } from './log-store.js';

export interface LogStoreConfig {
  logStore: 'local' | 'dynamodb';
  logTable?: string | undefined;
  dataDir: string;
}

/**
 * Loads a backend module on first use, so the AWS SDK (several MiB of RSS) is only in memory on
 * gateways that log to DynamoDB.
 */
class LazyLogStore implements LogStore {
  private store: Promise<LogStore> | undefined;

  constructor(
    readonly provider: string,
    private readonly load: () => Promise<LogStore>,
  ) {}

  async append(record: InteractionRecord): Promise<void> {
    this.store ??= this.load();
    await (await this.store).append(record);
  }

  async close(): Promise<void> {
    if (this.store) await (await this.store).close();
  }
}

/** The one place that picks the interaction-log backend (`LOG_STORE`). */
export function createLogStore(config: LogStoreConfig): LogStore {
  switch (config.logStore) {
    case 'local':
      return new LocalLogStore(config.dataDir);
    case 'dynamodb': {
      const table = config.logTable;
      if (!table) {
        throw new AppError('bad_request', 'LOG_STORE=dynamodb needs LOG_TABLE (example: LOG_TABLE=review-assistant-interactions)');
      }
      return new LazyLogStore('dynamodb', async () => new (await import('./dynamo-log-store.js')).DynamoLogStore({ table }));
    }
  }
}
