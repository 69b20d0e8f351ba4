import { AppError } from '@review-assistant/shared';
import { MemoryWorkerRegistry } from './memory-worker-registry.js';
import type { WorkerRegistry, WorkerRegistryOptions } from './worker-registry.js';

export interface WorkerRegistryConfig {
  /** `WORKER_REGISTRY` */
  workerRegistry: 'memory' | 'dynamodb';
  /** `WORKER_REGISTRY_TABLE` (needed by `dynamodb`) */
  workerRegistryTable?: string | undefined;
}

/** The one place that picks the worker-registry backend (`WORKER_REGISTRY`). */
export function createWorkerRegistry(config: WorkerRegistryConfig, options: WorkerRegistryOptions = {}): WorkerRegistry {
  switch (config.workerRegistry) {
    case 'memory':
      return new MemoryWorkerRegistry(options);
    case 'dynamodb':
      throw new AppError('bad_request', 'WORKER_REGISTRY=dynamodb is not available in this build; use WORKER_REGISTRY=memory');
  }
}
