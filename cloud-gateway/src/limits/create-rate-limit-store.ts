import { AppError } from '@review-assistant/shared';
import { dynamoClientConfig } from '../dynamodb/client-config.js';
import type { RateLimitStore } from './rate-limiter.js';

export interface RateLimitStoreConfig {
  /** `RATE_LIMIT_STORE`: `memory` (each gateway its own buckets) or `dynamodb` (shared); unset: as `workerRegistry`. */
  rateLimitStore?: 'memory' | 'dynamodb' | undefined;
  /** `WORKER_REGISTRY`: a fleet that shares its workers shares its limits unless told otherwise. */
  workerRegistry?: 'memory' | 'dynamodb' | undefined;
  /** `WORKER_REGISTRY_TABLE`: the shared buckets live in the registry table. */
  workerRegistryTable?: string | undefined;
  /** `AWS_ENDPOINT_URL_DYNAMODB` */
  dynamodbEndpoint?: string | undefined;
}

/** The one place that picks where rate-limit buckets live; undefined: in each gateway's memory. */
export async function createRateLimitStore(config: RateLimitStoreConfig): Promise<RateLimitStore | undefined> {
  switch (config.rateLimitStore ?? config.workerRegistry ?? 'memory') {
    case 'memory':
      return undefined;
    case 'dynamodb': {
      const table = config.workerRegistryTable;
      if (!table) throw new AppError('bad_request', 'RATE_LIMIT_STORE=dynamodb needs WORKER_REGISTRY_TABLE (example: WORKER_REGISTRY_TABLE=review-assistant-workers)');
      const { DynamoRateLimitStore } = await import('./dynamo-rate-limit-store.js');
      return new DynamoRateLimitStore({ table, client: dynamoClientConfig(config.dynamodbEndpoint) });
    }
  }
}
