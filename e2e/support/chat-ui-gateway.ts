import { createTestGateway, type MemoryLogStore } from '@review-assistant/cloud-gateway/testing';
import type { WorkerPool } from '@review-assistant/cloud-gateway';

export interface ChatUiGateway {
  /** `http://127.0.0.1:<port>` */
  url: string;
  pool: WorkerPool;
  logs: MemoryLogStore;
  close(): Promise<void>;
}

export interface ChatUiGatewayOptions {
  /** Static workers (`WORKER_URLS`). */
  workerUrls?: string[];
  /** Shared secret for signing worker calls and verifying heartbeats. */
  secret?: string;
}

/**
 * The real gateway app (the cloud-gateway test harness: `createApp`, a real worker pool, its
 * WebSocket upgrade, 127.0.0.1 port 0, its keyword intent service and test policy).
 * Timeouts are short so a dead worker is noticed within the UI tests' time budget.
 */
export async function startChatUiGateway(options: ChatUiGatewayOptions = {}): Promise<ChatUiGateway> {
  const gateway = createTestGateway({
    settings: { workerSharedSecret: options.secret },
    pool: {
      staticUrls: options.workerUrls ?? [],
      connectTimeoutMs: 1000,
      firstByteTimeoutMs: 5000,
      idleTimeoutMs: 5000,
      requestBudgetMs: 60_000,
      breakerHalfOpenMs: 500,
    },
  });
  const url = await gateway.listen();
  return { url, pool: gateway.deps.pool, logs: gateway.deps.logStore, close: () => gateway.close() };
}
