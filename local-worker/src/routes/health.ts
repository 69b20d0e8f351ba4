import { Hono } from 'hono';
import { APP_VERSION, WorkerHealthSchema } from '@review-assistant/shared';
import type { WorkerHealth, WorkerState } from '@review-assistant/shared';
import type { BackendStatus } from '../backends.js';
import type { ConcurrencyGate } from '../chat/concurrency-gate.js';
import type { VectorStore } from '../ports.js';
import type { WorkerEnv } from './http-support.js';

export interface HealthReporterOptions {
  workerId: string;
  backend: BackendStatus;
  store: Pick<VectorStore, 'heartbeat' | 'listCollections'>;
  /** Chroma URL shown in health (never a secret). */
  chromaUrl?: string | null;
  gate: ConcurrencyGate;
  /** @default Date.now() at construction */
  startedAtMs?: number;
  /** @default 2000 */
  chromaTimeoutMs?: number;
  /** True once shutdown began. */
  stopping?: () => boolean;
  /**
   * Id of the model that embeds queries; a collection built with another model cannot be searched
   * (health turns `degraded` and says how to fix it).
   */
  embeddingModelId?: string;
}

/**
 * Builds the `/v1/health` report: backend and why, models and whether loaded, Chroma status and
 * collection sizes, queue depth. Chroma gets a short timeout so health never hangs; health is
 * also what heartbeats are built from.
 */
export class HealthReporter {
  private readonly startedAtMs: number;

  constructor(private readonly options: HealthReporterOptions) {
    this.startedAtMs = options.startedAtMs ?? Date.now();
  }

  async report(): Promise<WorkerHealth> {
    const timeoutMs = this.options.chromaTimeoutMs ?? 2000;
    const [, chroma] = await Promise.all([this.options.backend.refresh(), this.chromaStatus(timeoutMs)]);
    const models = this.options.backend.models();
    let status: WorkerState = 'ready';
    if (this.options.stopping?.()) status = 'stopping';
    else if (this.options.backend.isWarmingUp()) status = 'warming-up';
    else if (!chroma.ok || chroma.mismatched || models.some((model) => model.state === 'error' || model.state === 'missing')) status = 'degraded';
    return WorkerHealthSchema.parse({
      status,
      version: APP_VERSION,
      workerId: this.options.workerId,
      backend: this.options.backend.kind,
      backendReason: this.options.backend.reason,
      models,
      chroma: { ok: chroma.ok, url: this.options.chromaUrl ?? null, detail: chroma.detail },
      collections: chroma.collections,
      queue: this.options.gate.snapshot(),
      uptimeSeconds: Math.max(0, (Date.now() - this.startedAtMs) / 1000),
    });
  }

  private async chromaStatus(
    timeoutMs: number,
  ): Promise<{ ok: boolean; detail: string | null; mismatched: boolean; collections: Record<string, number> }> {
    let timer: NodeJS.Timeout | undefined;
    const timeout = new Promise<never>((_, reject) => {
      timer = setTimeout(() => reject(new Error(`no answer within ${timeoutMs} ms`)), timeoutMs);
    });
    try {
      const alive = await Promise.race([this.options.store.heartbeat(), timeout]);
      if (!alive) return { ok: false, detail: 'heartbeat failed', mismatched: false, collections: {} };
      const collections = await Promise.race([this.options.store.listCollections(), timeout]);
      const expected = this.options.embeddingModelId;
      const mismatched = collections.filter((item) => expected !== undefined && item.embeddingModel !== null && item.embeddingModel !== expected);
      const detail =
        mismatched.length === 0
          ? null
          : mismatched
              .map(
                (item) =>
                  `collection "${item.name}" holds ${item.embeddingModel} vectors but queries are embedded with ${expected}; ` +
                  `re-ingest it: npm run ingest -- <file.csv> --collection ${item.name} --reset`,
              )
              .join('; ');
      return {
        ok: true,
        detail,
        mismatched: mismatched.length > 0,
        collections: Object.fromEntries(collections.map((item) => [item.name, item.count])),
      };
    } catch (error) {
      return { ok: false, detail: error instanceof Error ? error.message : String(error), mismatched: false, collections: {} };
    } finally {
      clearTimeout(timer);
    }
  }
}

/** `GET /health`: the report above; 200 even when degraded (the body says why). */
export function createHealthRoutes(options: { reporter: HealthReporter }): Hono<WorkerEnv> {
  const app = new Hono<WorkerEnv>();
  app.get('/health', async (c) => c.json(await options.reporter.report()));
  return app;
}
