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

  it('reserves synchronously: a slot, then a queue place, then nothing; a queued reservation gets the next free slot', async () => {
    const semaphore = new Semaphore(1, 1);
    const running = semaphore.reserve()!;
    const queued = semaphore.reserve()!;
    expect(semaphore.reserve()).toBeUndefined();
    expect([running.granted, queued.granted, semaphore.active, semaphore.queued, semaphore.full]).toEqual([true, false, 1, 1, true]);
    const waiting = queued.slot();
    running.release();
    running.release(); // a second release is ignored: it must not free the slot the queued one now holds
    await waiting;
    expect([queued.granted, semaphore.active, semaphore.queued]).toEqual([true, 1, 0]);
    queued.release();
    expect([semaphore.active, semaphore.queued]).toEqual([0, 0]);
  });

  it('gives a queue place back when its holder releases it, times out or is aborted, and rejects its pending wait', async () => {
    const semaphore = new Semaphore(1, 3);
    const running = semaphore.reserve()!;
    const released = semaphore.reserve()!;
    const timedOut = semaphore.reserve()!;
    const aborted = semaphore.reserve()!;
    const controller = new AbortController();
    const waits = [released.slot(), timedOut.slot(undefined, 20), aborted.slot(controller.signal)];
    released.release();
    controller.abort(new Error('client left'));
    await Promise.all([
      expect(waits[0]).rejects.toMatchObject({ code: 'cancelled' }),
      expect(waits[1]).rejects.toMatchObject({ code: 'worker_busy', message: /within 20 ms/ }),
      expect(waits[2]).rejects.toThrow('client left'),
    ]);
    expect([semaphore.active, semaphore.queued]).toEqual([1, 0]);
    running.release();
    expect([semaphore.active, semaphore.queued]).toEqual([0, 0]);
  });
});
