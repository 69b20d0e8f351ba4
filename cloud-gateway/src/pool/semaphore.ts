import { AppError } from '@review-assistant/shared';

/** Releases a slot taken with `Semaphore.acquire`; calling it twice is harmless. */
export type Release = () => void;

/**
 * Bounded concurrency with a bounded FIFO queue. Unlike cockatiel's bulkhead, a slot is held
 * until the caller releases it, so a streaming response keeps its slot until the stream ends.
 */
export class Semaphore {
  private running = 0;
  private readonly waiters: { grant: (release: Release) => void; fail: (error: unknown) => void }[] = [];

  constructor(
    readonly limit: number,
    readonly maxQueue: number,
  ) {}

  get active(): number {
    return this.running;
  }

  get queued(): number {
    return this.waiters.length;
  }

  /** True when a new caller would be rejected (all slots busy and the queue full). */
  get full(): boolean {
    return this.running >= this.limit && this.waiters.length >= this.maxQueue;
  }

  /**
   * Waits for a slot; rejects with `worker_busy` when the queue is full or no slot came within
   * `timeoutMs`, and with the signal's reason when `signal` aborts.
   */
  acquire(signal?: AbortSignal, timeoutMs?: number): Promise<Release> {
    if (signal?.aborted) return Promise.reject(signal.reason);
    if (this.running < this.limit) {
      this.running += 1;
      return Promise.resolve(this.releaser());
    }
    if (this.waiters.length >= this.maxQueue) {
      return Promise.reject(new AppError('worker_busy', 'the worker\'s queue is full'));
    }
    return new Promise<Release>((resolve, reject) => {
      const leave = (error: unknown) => {
        const index = this.waiters.indexOf(waiter);
        if (index >= 0) this.waiters.splice(index, 1);
        signal?.removeEventListener('abort', onAbort);
        clearTimeout(timer);
        reject(error);
      };
      const waiter = {
        grant: (release: Release) => {
          signal?.removeEventListener('abort', onAbort);
          clearTimeout(timer);
          resolve(release);
        },
        fail: reject,
      };
      const onAbort = () => leave(signal?.reason);
      const timer =
        timeoutMs === undefined
          ? undefined
          : setTimeout(() => leave(new AppError('worker_busy', `no slot became free within ${timeoutMs} ms`)), timeoutMs);
      signal?.addEventListener('abort', onAbort, { once: true });
      this.waiters.push(waiter);
    });
  }

  private releaser(): Release {
    let released = false;
    return () => {
      if (released) return;
      released = true;
      const next = this.waiters.shift();
      if (next) next.grant(this.releaser());
      else this.running -= 1;
    };
  }
}
