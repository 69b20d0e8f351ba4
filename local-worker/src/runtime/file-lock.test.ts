import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { isProcessAlive, withFileLock } from './file-lock.js';

describe('withFileLock', () => {
  let directory: string;
  beforeEach(async () => {
    directory = await mkdtemp(join(tmpdir(), 'file-lock-'));
  });
  afterEach(async () => {
    await rm(directory, { recursive: true, force: true });
  });

  it('lets only one holder in at a time', async () => {
    const lock = join(directory, 'x.lock');
    const events: string[] = [];
    const holder = (name: string) =>
      withFileLock(lock, async () => {
        events.push(`${name}:in`);
        await sleep(30);
        events.push(`${name}:out`);
      }, { pollMs: 5 });
    await Promise.all([holder('a'), holder('b'), holder('c')]);
    for (let index = 0; index < events.length; index += 2) {
      expect(events[index]?.replace(':in', '')).toBe(events[index + 1]?.replace(':out', ''));
    }
    expect(events).toHaveLength(6);
  });

  it('takes over a lock left behind by a dead process', async () => {
    const lock = join(directory, 'stale.lock');
    // pid 2^22 + 1 is above Linux's pid_max default range for a live process here
    const deadPid = 4_194_305;
    expect(isProcessAlive(deadPid)).toBe(false);
    await writeFile(lock, String(deadPid));
    await expect(withFileLock(lock, async () => 'taken', { timeoutMs: 1_000 })).resolves.toBe('taken');
  });

  it('gives up with a message naming the lock when a live holder keeps it', async () => {
    const lock = join(directory, 'held.lock');
    await writeFile(lock, String(process.pid));
    await expect(withFileLock(lock, async () => 'never', { timeoutMs: 200, pollMs: 20 })).rejects.toThrow(/held\.lock.*held by pid/);
  });

  it('releases the lock when the action throws', async () => {
    const lock = join(directory, 'throw.lock');
    await expect(withFileLock(lock, async () => { throw new Error('boom'); })).rejects.toThrow('boom');
    await expect(withFileLock(lock, async () => 'again', { timeoutMs: 200 })).resolves.toBe('again');
  });
});

describe('isProcessAlive', () => {
  it('knows this process is alive and rejects nonsense pids', () => {
    expect(isProcessAlive(process.pid)).toBe(true);
    expect(isProcessAlive(0)).toBe(false);
    expect(isProcessAlive(-1)).toBe(false);
  });
});
