import { AppError } from '@review-assistant/shared';

export interface GateSnapshot {
  active: number;
  waiting: number;
  capacity: number;
  maxQueue: number;
}

/**
 * At most `capacity` chat turns run at once and at most `maxQueue` wait; a request beyond that is
 * refused at once with a retryable `worker_busy` (503) instead of hanging. A waiter whose client
 * goes away leaves the queue. Release functions are idempotent.
 */
export class ConcurrencyGate {
  private active = 0;
  private readonly waiters: { grant: () => void; reject: (error: AppError) => void }[] = [];

  constructor(
    readonly capacity: number,
    readonly maxQueue: number,
  ) {
    if (capacity < 1) throw new RangeError('capacity must be at least 1');
  }

  snapshot(): GateSnapshot {
    return { active: this.active, waiting: this.waiters.length, capacity: this.capacity, maxQueue: this.maxQueue };
  }

  /** Resolves with a release function once a slot is free. */
  acquire(signal?: AbortSignal): Promise<() => void> {
    if (signal?.aborted) return Promise.reject(new AppError('cancelled', 'client went away before a slot was free'));
    if (this.active < this.capacity) {
      this.active += 1;
      return Promise.resolve(this.releaser());
    }
    if (this.waiters.length >= this.maxQueue) {
      return Promise.reject(
        new AppError('worker_busy', `worker is busy: ${this.active} answers running and ${this.waiters.length} waiting; retry shortly`),
      );
    }
    return new Promise((resolve, reject) => {
      const waiter = {
        grant: () => {
          signal?.removeEventListener('abort', onAbort);
          this.active += 1;
          resolve(this.releaser());
        },
        reject,
      };
      const onAbort = () => {
        const index = this.waiters.indexOf(waiter);
        if (index >= 0) this.waiters.splice(index, 1);
        reject(new AppError('cancelled', 'client went away while waiting for a slot'));
      };
      signal?.addEventListener('abort', onAbort, { once: true });
      this.waiters.push(waiter);
    });
  }

  private releaser(): () => void {
    let released = false;
    return () => {
      if (released) return;
      released = true;
      this.active -= 1;
      const next = this.waiters.shift();
      next?.grant();
    };
  }
}
