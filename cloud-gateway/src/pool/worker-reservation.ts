import type { PooledWorker } from './pooled-worker.js';
import type { SlotReservation } from './semaphore.js';

/**
 * Capacity a chat turn took on one worker when it was admitted (`WorkerPool.admit`): a slot, or a
 * place in the worker's queue. `WorkerPool.openChat` sends the turn's first attempt there and hands
 * the slot to the stream it opens; whoever holds the reservation last releases it, and a second
 * release is ignored, so a turn that never starts (its client went away first) gives it back too.
 */
export class WorkerReservation {
  constructor(
    readonly worker: PooledWorker,
    readonly slot: SlotReservation,
  ) {}

  /** Gives the slot or the queue place back (harmless when called again). */
  release(): void {
    this.slot.release();
  }
}

/**
 * What admission found: capacity reserved for the turn; every worker full (`busy`: shed the turn
 * with 503 `worker_busy`); or no worker that could be tried at all (`no-worker`: the turn runs and
 * reports `no_worker`, after the pool has read its registry once more).
 */
export type PoolAdmission = { kind: 'reserved'; reservation: WorkerReservation } | { kind: 'busy' } | { kind: 'no-worker' };
