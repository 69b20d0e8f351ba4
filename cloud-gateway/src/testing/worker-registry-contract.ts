import { describe, expect, it } from 'vitest';
import type { AnnouncedWorker, WorkerRegistry, WorkerRegistryOptions } from '../pool/registry/worker-registry.js';

/** Builds a fresh, empty registry for one test; `now` is the test's clock. */
export type RegistryFactory = (options: Required<Pick<WorkerRegistryOptions, 'now' | 'maxWorkers' | 'missedHeartbeats'>>) => Promise<WorkerRegistry>;

/** A heartbeat as the pool hands it to `upsert` (URL already normalized). */
export function announced(workerId: string, url: string, overrides: Partial<AnnouncedWorker> = {}): AnnouncedWorker {
  return { workerId, url, backend: 'offline', state: 'ready', models: [], queueDepth: 0, active: 0, capacity: 2, version: '0.1.0', intervalSeconds: 5, ...overrides };
}

/**
 * The behaviour every `WorkerRegistry` adapter must have (see the port's JSDoc). Each adapter's
 * test file calls this with its own factory, so the memory and DynamoDB adapters are held to the
 * same contract.
 */
export function describeWorkerRegistryContract(name: string, factory: RegistryFactory): void {
  describe(`${name} (WorkerRegistry contract)`, () => {
    const setup = async (maxWorkers = 4) => {
      const clock = { now: 1_700_000_000_000 };
      const registry = await factory({ now: () => clock.now, maxWorkers, missedHeartbeats: 3 });
      return { clock, registry };
    };

    it('lists an upserted worker with its receive time and an expiry three intervals later', async () => {
      const { clock, registry } = await setup();
      const outcome = await registry.upsert(announced('w1', 'https://a.ngrok-free.app', { backend: 'ollama' }), clock.now);
      expect(outcome).toMatchObject({ accepted: true, created: true });
      expect(await registry.list()).toEqual([{ ...announced('w1', 'https://a.ngrok-free.app', { backend: 'ollama' }), receivedAtMs: clock.now, expiresAtMs: clock.now + 15_000 }]);
      clock.now += 1000;
      expect(await registry.upsert(announced('w1', 'https://a.ngrok-free.app', { state: 'degraded' }), clock.now)).toMatchObject({ accepted: true, created: false });
      expect(await registry.list()).toMatchObject([{ workerId: 'w1', state: 'degraded', receivedAtMs: clock.now }]);
      await registry.close();
    });

    it('keeps an id bound to its first URL until the entry expires', async () => {
      const { clock, registry } = await setup();
      await registry.upsert(announced('w1', 'https://a.ngrok-free.app'), clock.now);
      clock.now += 14_000;
      expect(await registry.upsert(announced('w1', 'https://evil.ngrok-free.app'), clock.now)).toMatchObject({ accepted: false, reason: 'worker_id_taken' });
      expect(await registry.list()).toMatchObject([{ workerId: 'w1', url: 'https://a.ngrok-free.app' }]);
      clock.now += 1_001; // 15.001 s after the last accepted heartbeat: expired
      expect(await registry.list()).toEqual([]);
      expect(await registry.upsert(announced('w1', 'https://b.ngrok-free.app'), clock.now)).toMatchObject({ accepted: true, created: true });
      expect(await registry.list()).toMatchObject([{ workerId: 'w1', url: 'https://b.ngrok-free.app' }]);
      await registry.close();
    });

    it('refuses new ids beyond maxWorkers but keeps updating the ones it holds', async () => {
      const { clock, registry } = await setup(2);
      await registry.upsert(announced('w1', 'https://a.ngrok-free.app'), clock.now);
      await registry.upsert(announced('w2', 'https://b.ngrok-free.app'), clock.now);
      expect(await registry.upsert(announced('w3', 'https://c.ngrok-free.app'), clock.now)).toMatchObject({ accepted: false, reason: 'too_many_workers' });
      expect(await registry.upsert(announced('w2', 'https://b.ngrok-free.app'), clock.now)).toMatchObject({ accepted: true });
      expect((await registry.list()).map((entry) => entry.workerId).sort()).toEqual(['w1', 'w2']);
      clock.now += 16_000;
      expect(await registry.upsert(announced('w3', 'https://c.ngrok-free.app'), clock.now)).toMatchObject({ accepted: true, created: true });
      await registry.close();
    });

    it('removes a worker on goodbye, only when the URL matches the bound one', async () => {
      const { clock, registry } = await setup();
      await registry.upsert(announced('w1', 'https://a.ngrok-free.app'), clock.now);
      expect(await registry.remove('w1', 'https://other.ngrok-free.app')).toBe(false);
      expect(await registry.list()).toHaveLength(1);
      expect(await registry.remove('w1', 'https://a.ngrok-free.app')).toBe(true);
      expect(await registry.list()).toEqual([]);
      expect(await registry.remove('w1')).toBe(false);
      await registry.close();
    });
  });
}
