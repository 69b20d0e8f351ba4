import { z } from 'zod';
import { configEntry, envPositiveInt, environment, loadConfig } from '@review-assistant/shared';
import type { ConfigOf, ConfigOverrides } from '@review-assistant/shared';

const envNonNegativeInt = z.coerce.number().int().min(0, 'expected 0 or a positive integer');

/**
 * The worker's configuration: the shared environment entries it reads, plus its own tuning knobs.
 * Parsed once at start-up by `loadWorkerConfig`; a bad value fails fast naming the variable.
 */
export const workerConfigSpec = {
  workerPort: environment.workerPort,
  dataDir: environment.dataDir,
  chromaUrl: environment.chromaUrl,
  ollamaHost: environment.ollamaHost,
  modelBackend: environment.modelBackend,
  chatModel: environment.chatModel,
  embedModel: environment.embedModel,
  workerSharedSecret: environment.workerSharedSecret,
  logLevel: environment.logLevel,
  allowPublicOllama: environment.allowPublicOllama,
  workerHost: configEntry({
    env: 'WORKER_HOST',
    schema: z.string().min(1),
    default: '127.0.0.1',
    example: '127.0.0.1',
    description: 'Address the worker listens on; loopback by default (the tunnel reaches it there).',
  }),
  workerConcurrency: configEntry({
    env: 'CHAT_CONCURRENCY',
    schema: envPositiveInt,
    default: 2,
    example: '2',
    description: 'Chat turns generated at the same time (Ollama serves one request per model by default).',
  }),
  workerMaxQueue: configEntry({
    env: 'CHAT_QUEUE',
    schema: envNonNegativeInt,
    default: 8,
    example: '8',
    description: 'Chat turns allowed to wait for a slot; beyond that the worker answers 503 worker_busy.',
  }),
  ollamaProbeTimeoutMs: configEntry({
    env: 'OLLAMA_PROBE_TIMEOUT_MS',
    schema: envPositiveInt,
    default: 1500,
    example: '1500',
    description: 'How long MODEL_BACKEND=auto waits for Ollama /api/tags before choosing offline.',
  }),
  ollamaIdleTimeoutMs: configEntry({
    env: 'OLLAMA_IDLE_TIMEOUT_MS',
    schema: envPositiveInt,
    default: 120_000,
    example: '120000',
    description: 'Longest silence from Ollama during a request (covers cold model loads) before it is abandoned.',
  }),
  ollamaKeepAlive: configEntry({
    env: 'OLLAMA_KEEP_ALIVE',
    schema: z.string().min(1),
    default: '30m',
    example: '30m',
    description: 'keep_alive sent with every Ollama request so models stay warm (Ollama default: 5m).',
  }),
  ollamaPullMissing: configEntry({
    env: 'OLLAMA_PULL_MISSING',
    schema: environment.allowPublicOllama.schema,
    default: true,
    example: 'false',
    description: 'Pull missing Ollama models at start-up (with a progress bar).',
  }),
  maxBodyBytes: configEntry({
    env: 'WORKER_MAX_BODY_BYTES',
    schema: envPositiveInt,
    default: 256 * 1024,
    example: '262144',
    description: 'Largest request body the worker accepts.',
  }),
  workerId: configEntry({
    env: 'WORKER_ID',
    schema: z.string().min(1).max(128).optional(),
    example: 'gpu-pc-1',
    description: 'Name of this worker in health and heartbeats; unset: derived from the host name.',
  }),
} as const;

export type WorkerConfig = ConfigOf<typeof workerConfigSpec>;

/** Reads and validates the worker configuration (option, then environment, then default). */
export function loadWorkerConfig(
  options: { overrides?: ConfigOverrides<typeof workerConfigSpec>; env?: Record<string, string | undefined> } = {},
): WorkerConfig {
  return loadConfig(workerConfigSpec, options);
}
