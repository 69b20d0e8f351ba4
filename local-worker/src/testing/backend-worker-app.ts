import type { Hono } from 'hono';
import { pino } from 'pino';
import { createApp } from '../app.js';
import type { Backends } from '../backends.js';
import { ChatService } from '../chat/chat-service.js';
import { ConcurrencyGate } from '../chat/concurrency-gate.js';
import type { Retriever } from '../ports.js';
import type { WorkerEnv } from '../routes/http-support.js';
import { HealthReporter, type HealthReporterOptions } from '../routes/health.js';

export interface BackendWorkerAppOptions {
  secret: string;
  /** The models `createBackends` chose. */
  backends: Backends;
  retriever: Retriever;
  /** What health reads of the vector store. */
  store: HealthReporterOptions['store'];
  /** @default a gate of 1 turn and 1 waiting */
  gate?: ConcurrencyGate;
  /** @default 'test-worker' */
  workerId?: string;
  chromaUrl?: string;
}

/**
 * The worker's app over the models of a backend, wired as `createWorkerServices` wires them (the
 * chat service on the backend's chat model and query rewriter, health on the backend and the
 * store), with a silent logger. Builds without I/O; no server.
 */
export function createBackendWorkerApp(options: BackendWorkerAppOptions): Hono<WorkerEnv> {
  const { backends, retriever, store } = options;
  const gate = options.gate ?? new ConcurrencyGate(1, 1);
  return createApp({
    secret: options.secret,
    logger: pino({ level: 'silent' }),
    chatService: new ChatService({ retriever, chatModel: backends.chatModel, queryRewriter: backends.queryRewriter, backend: backends.kind }),
    gate,
    retriever,
    embeddingModel: backends.embeddingModel,
    chatModel: backends.chatModel,
    backend: backends.kind,
    health: new HealthReporter({
      workerId: options.workerId ?? 'test-worker',
      backend: backends,
      store,
      ...(options.chromaUrl === undefined ? {} : { chromaUrl: options.chromaUrl }),
      gate,
    }),
  });
}
