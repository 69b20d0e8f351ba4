import { describe, expect, it } from 'vitest';
import { Semaphore } from './semaphore.js';

describe('Semaphore', () => {
  it('grants up to its limit, queues in order up to maxQueue and rejects beyond', async () => {
    const semaphore = new Semaphore(1, 2);
    const first = await semaphore.acquire();
    const order: string[] = [];
    const second = semaphore.acquire().then((release) => {
      order.push('second');
      return release;
    });
    const third = semaphore.acquire().then((release) => {
      order.push('third');
      return release;
    });
    await expect(semaphore.acquire()).rejects.toMatchObject({ code: 'worker_busy' });
    expect([semaphore.active, semaphore.queued, semaphore.full]).toEqual([1, 2, true]);
    first();
    first(); // a second release is ignored
    (await second)();
    (await third)();
    expect(order).toEqual(['second', 'third']);
    expect([semaphore.active, semaphore.queued]).toEqual([0, 0]);
  });

  it('drops a waiter whose signal aborts', async () => {
    const semaphore = new Semaphore(1, 1);
    const release = await semaphore.acquire();
    const controller = new AbortController();
    const waiting = semaphore.acquire(controller.signal);
    controller.abort(new Error('client left'));
    await expect(waiting).rejects.toThrow('client left');
    expect(semaphore.queued).toBe(0);
    release();
    expect(semaphore.active).toBe(0);
  });
});
