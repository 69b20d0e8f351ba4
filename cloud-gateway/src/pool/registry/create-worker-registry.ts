import { AppError } from '@review-assistant/shared';
import { dynamoClientConfig } from '../../dynamodb/client-config.js';
import { MemoryWorkerRegistry } from './memory-worker-registry.js';
import type { WorkerRegistry, WorkerRegistryOptions } from './worker-registry.js';

export interface WorkerRegistryConfig {
  /** `WORKER_REGISTRY` */
  workerRegistry: 'memory' | 'dynamodb';
  /** `WORKER_REGISTRY_TABLE` (needed by `dynamodb`) */
  workerRegistryTable?: string | undefined;
  /** `AWS_ENDPOINT_URL_DYNAMODB`: a local DynamoDB-compatible server. */
  dynamodbEndpoint?: string | undefined;
}

/**
 * The one place that picks the worker-registry backend (`WORKER_REGISTRY`). The DynamoDB adapter
 * (and with it the AWS SDK) is loaded only when chosen.
 */
export async function createWorkerRegistry(config: WorkerRegistryConfig, options: WorkerRegistryOptions = {}): Promise<WorkerRegistry> {
  switch (config.workerRegistry) {
    case 'memory':
      return new MemoryWorkerRegistry(options);
    case 'dynamodb': {
      const table = config.workerRegistryTable;
      if (!table) throw new AppError('bad_request', 'WORKER_REGISTRY=dynamodb needs WORKER_REGISTRY_TABLE (example: WORKER_REGISTRY_TABLE=review-assistant-workers)');
      const { DynamoWorkerRegistry } = await import('./dynamo-worker-registry.js');
      return new DynamoWorkerRegistry({ ...options, table, client: dynamoClientConfig(config.dynamodbEndpoint) });
    }
  }
}
