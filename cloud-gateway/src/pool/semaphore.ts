import { AppError } from '@review-assistant/shared';

/** Releases a slot taken with `Semaphore.acquire`; calling it twice is harmless. */
export type Release = () => void;

/**
 * A slot, or a place in the queue for one, taken synchronously (`Semaphore.reserve`) and held
 * until released: a queued reservation is handed the next free slot in FIFO order. Releasing gives
 * back whichever it holds (a slot goes to the next in the queue); a second release is ignored.
 */
export class SlotReservation {
  private state: 'queued' | 'granted' | 'released';
  private waiter: { granted: () => void; released: () => void } | undefined;

  /** @internal made by `Semaphore.reserve` only */
  constructor(
    private readonly semaphore: Semaphore,
    granted: boolean,
  ) {
    this.state = granted ? 'granted' : 'queued';
  }

  /** True once the reservation holds a slot (and until it is released). */
  get granted(): boolean {
    return this.state === 'granted';
  }

  /**
   * Waits until the reservation holds a slot (one caller at a time). Rejects, giving the queue
   * place back, with the signal's reason when `signal` aborts and with `worker_busy` when no slot
   * came within `timeoutMs`; rejects with `cancelled` when the reservation is released meanwhile.
   */
  slot(signal?: AbortSignal, timeoutMs?: number): Promise<void> {
    if (this.state === 'released') return Promise.reject(new AppError('cancelled', 'the reservation was released'));
    if (signal?.aborted) {
      this.release();
      return Promise.reject(signal.reason);
    }
    if (this.state === 'granted') return Promise.resolve();
    return new Promise<void>((resolve, reject) => {
      const settle = () => {
        signal?.removeEventListener('abort', onAbort);
        clearTimeout(timer);
        this.waiter = undefined;
      };
      const leave = (error: unknown) => {
        settle();
        this.release();
        reject(error);
      };
      const onAbort = () => leave(signal?.reason);
      const timer =
        timeoutMs === undefined
          ? undefined
          : setTimeout(() => leave(new AppError('worker_busy', `no slot became free within ${timeoutMs} ms`)), timeoutMs);
      signal?.addEventListener('abort', onAbort, { once: true });
      this.waiter = {
        granted: () => {
          settle();
          resolve();
        },
        released: () => {
          settle();
          reject(new AppError('cancelled', 'the reservation was released'));
        },
      };
    });
  }

  /** Gives back the slot or the queue place; harmless when called again. */
  release(): void {
    const previous = this.state;
    if (previous === 'released') return;
    this.state = 'released';
    if (previous === 'granted') this.semaphore.handOn();
    else {
      this.semaphore.leaveQueue(this);
      this.waiter?.released();
    }
  }

  /** @internal the semaphore hands this queued reservation a slot */
  grant(): void {
    this.state = 'granted';
    this.waiter?.granted();
  }
}

/**
 * Bounded concurrency with a bounded FIFO queue. Unlike cockatiel's bulkhead, a slot is held
 * until the caller releases it, so a streaming response keeps its slot until the stream ends; and
 * capacity can be reserved synchronously (`reserve`) before the caller is ready to use it.
 */
export class Semaphore {
  private running = 0;
  private readonly waiters: SlotReservation[] = [];

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

  /** Takes a free slot, else a place at the end of the queue; undefined when both are full. */
  reserve(): SlotReservation | undefined {
    if (this.running < this.limit) {
      this.running += 1;
      return new SlotReservation(this, true);
    }
    if (this.waiters.length >= this.maxQueue) return undefined;
    const reservation = new SlotReservation(this, false);
    this.waiters.push(reservation);
    return reservation;
  }

  /**
   * Waits for a slot; rejects with `worker_busy` when the queue is full or no slot came within
   * `timeoutMs`, and with the signal's reason when `signal` aborts.
   */
  async acquire(signal?: AbortSignal, timeoutMs?: number): Promise<Release> {
    if (signal?.aborted) throw signal.reason;
    const reservation = this.reserve();
    if (!reservation) throw new AppError('worker_busy', 'the worker\'s queue is full');
    await reservation.slot(signal, timeoutMs);
    return () => reservation.release();
  }

  /** @internal a released slot goes to the first in the queue, else back to the pool */
  handOn(): void {
    const next = this.waiters.shift();
    if (next) next.grant();
    else this.running -= 1;
  }

  /** @internal a queued reservation gave its place back */
  leaveQueue(reservation: SlotReservation): void {
    const index = this.waiters.indexOf(reservation);
    if (index >= 0) this.waiters.splice(index, 1);
  }
}
