import { describeWorkerRegistryContract } from '../../testing/worker-registry-contract.js';
import { MemoryWorkerRegistry } from './memory-worker-registry.js';

describeWorkerRegistryContract('MemoryWorkerRegistry', async (options) => new MemoryWorkerRegistry(options));
