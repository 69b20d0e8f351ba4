import { describe, expect, it } from 'vitest';
import { ConcurrencyGate } from './concurrency-gate.js';

describe('ConcurrencyGate', () => {
  it('runs up to capacity at once, queues up to maxQueue and refuses the rest as retryable worker_busy', async () => {
    const gate = new ConcurrencyGate(2, 1);
    const first = await gate.acquire();
    await gate.acquire();
    let thirdGranted = false;
    const third = gate.acquire().then((release) => {
      thirdGranted = true;
      return release;
    });
    expect(gate.snapshot()).toEqual({ active: 2, waiting: 1, capacity: 2, maxQueue: 1 });
    await expect(gate.acquire()).rejects.toMatchObject({ code: 'worker_busy', status: 503, isRetryable: true });
    expect(thirdGranted).toBe(false);
    first();
    first(); // releasing twice frees one slot only
    const releaseThird = await third;
    expect(thirdGranted).toBe(true);
    expect(gate.snapshot()).toEqual({ active: 2, waiting: 0, capacity: 2, maxQueue: 1 });
    releaseThird();
    expect(gate.snapshot().active).toBe(1);
  });

  it('drops a waiter whose client went away', async () => {
    const gate = new ConcurrencyGate(1, 4);
    const release = await gate.acquire();
    const controller = new AbortController();
    const waiting = gate.acquire(controller.signal);
    expect(gate.snapshot().waiting).toBe(1);
    controller.abort();
    await expect(waiting).rejects.toMatchObject({ code: 'cancelled' });
    expect(gate.snapshot().waiting).toBe(0);
    release();
    expect(gate.snapshot().active).toBe(0);
  });
});
