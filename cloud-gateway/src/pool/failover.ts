import { AppError } from '@review-assistant/shared';
import type { PooledWorker } from './pooled-worker.js';
import { WorkerCallError } from './worker-call-error.js';

/**
 * The least-loaded eligible worker not yet tried: closed circuits first, then workers known to
 * be ready, then the lowest share of slots in use or queued for. A worker whose circuit is open
 * stays a candidate (last) so that cockatiel can let its half-open probe through.
 */
export function pickWorker(workers: Iterable<PooledWorker>, tried: ReadonlySet<PooledWorker>): PooledWorker | undefined {
  let best: PooledWorker | undefined;
  let bestRank = Number.POSITIVE_INFINITY;
  for (const worker of workers) {
    if (tried.has(worker) || !worker.eligible) continue;
    const rank = worker.load + (worker.state === 'ready' ? 0 : 0.001) + (worker.breakerState === 'closed' ? 0 : 1000);
    if (rank < bestRank) {
      best = worker;
      bestRank = rank;
    }
  }
  return best;
}

/** A worker skipped because its circuit is open (no request was sent). */
export class CircuitOpenError extends WorkerCallError {
  constructor(workerId: string) {
    super('worker_unavailable', `worker ${workerId} is failing (circuit open)`, { workerId, retryable: true, countsForBreaker: false });
  }
}

/**
 * Runs `attempt` on `first` (the worker capacity was reserved on at admission) or the best worker
 * and, when it fails with a retryable error before any output, once more on the next best. An open
 * circuit rejects without touching the network and does not use up the retry. When no worker is
 * left: the last real failure, else `worker_busy` (every worker full) or `no_worker`.
 */
export async function withFailover<T>(
  workers: () => PooledWorker[],
  signal: AbortSignal | undefined,
  attempt: (worker: PooledWorker) => Promise<T>,
  first?: PooledWorker,
): Promise<T> {
  const tried = new Set<PooledWorker>();
  let lastError: unknown;
  let attempts = 0;
  while (attempts < 2) {
    const worker = first && !tried.has(first) ? first : pickWorker(workers(), tried);
    if (!worker) break;
    tried.add(worker);
    try {
      return await attempt(worker);
    } catch (error) {
      if (signal?.aborted) throw new AppError('cancelled', 'the request was cancelled', { cause: error });
      lastError = error;
      if (!(error instanceof AppError) || !error.isRetryable) throw error;
      if (!(error instanceof CircuitOpenError)) attempts += 1;
    }
  }
  if (lastError !== undefined && !(lastError instanceof CircuitOpenError)) throw lastError;
  const known = workers();
  if (known.some((worker) => worker.slots.full)) {
    throw new AppError('worker_busy', 'every worker is busy; try again in a moment');
  }
  throw new AppError(
    'no_worker',
    known.length === 0
      ? 'no worker is connected right now; small talk and intent prediction still work'
      : 'no worker is available right now (all are failing or shutting down); try again shortly',
  );
}
