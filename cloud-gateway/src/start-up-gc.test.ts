import { describe, expect, it } from 'vitest';
import { collectStartUpGarbage } from './start-up-gc.js';

describe('collectStartUpGarbage', () => {
  it('runs the collection once, only after start-up has settled, and reports the RSS around it', async () => {
    const calls: string[] = [];
    let finishStartUp!: () => void;
    const startUp = new Promise<void>((resolve) => (finishStartUp = resolve));
    const collecting = collectStartUpGarbage(startUp, () => calls.push('gc'));
    await new Promise((resolve) => setTimeout(resolve, 20));
    expect(calls).toEqual([]);
    finishStartUp();
    const result = await collecting;
    expect(calls).toEqual(['gc']);
    expect(result?.rssBefore).toBeGreaterThan(0);
    expect(result?.rssAfter).toBeGreaterThan(0);
  });

  it('also collects after a failed start-up step (a model that did not load leaves its garbage too)', async () => {
    const calls: string[] = [];
    await expect(collectStartUpGarbage(Promise.reject(new Error('checksum mismatch')), () => calls.push('gc'))).resolves.toBeDefined();
    expect(calls).toEqual(['gc']);
  });

  it('does nothing without an exposed collection (no --expose-gc: tests, npm run gateway)', async () => {
    await expect(collectStartUpGarbage(Promise.resolve(), undefined)).resolves.toBeUndefined();
  });
});
