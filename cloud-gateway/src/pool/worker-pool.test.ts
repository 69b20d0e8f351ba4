import { afterEach, describe, expect, it } from 'vitest';
import type { StreamEvent } from '@review-assistant/shared';
import { startWorkerDouble, type WorkerDouble } from '../testing/worker-double.js';
import { MemoryWorkerRegistry } from './registry/memory-worker-registry.js';
import { WorkerPool } from './worker-pool.js';
import { WorkerUrlPolicy } from './worker-url-policy.js';

const loopbackUrls = new WorkerUrlPolicy({ allowPrivate: true });

const secret = 'pool-test-secret-0123456789';
const doubles: WorkerDouble[] = [];

async function double(options: Parameters<typeof startWorkerDouble>[0] = {}): Promise<WorkerDouble> {
  const started = await startWorkerDouble({ secret, ...options });
  doubles.push(started);
  return started;
}

async function collect(events: AsyncIterable<StreamEvent>): Promise<StreamEvent[]> {
  const seen: StreamEvent[] = [];
  for await (const event of events) seen.push(event);
  return seen;
}

async function until(condition: () => boolean, timeoutMs = 5000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!condition()) {
    if (Date.now() > deadline) throw new Error('condition not met in time');
    await new Promise((resolve) => setTimeout(resolve, 5));
  }
}

afterEach(async () => {
  await Promise.all(doubles.splice(0).map((started) => started.close()));
});

const heartbeat = (workerId: string, url: string, intervalSeconds = 5) => ({
  workerId,
  url,
  backend: 'offline' as const,
  state: 'ready' as const,
  models: [],
  queueDepth: 0,
  active: 0,
  capacity: 2,
  version: '0.1.0',
  intervalSeconds,
});

describe('WorkerPool', () => {
  it('streams a chat from a static worker with a signed request carrying the request id', async () => {
    const worker = await double();
    const pool = new WorkerPool({ staticUrls: [worker.url], secret });
    const stream = await pool.openChat({ message: 'best pasta?' }, { requestId: 'req-42', intent: 'restaurant_reviews' });
    const events = await collect(stream.events);
    expect(events[0]?.type).toBe('sources');
    expect(events.at(-1)?.type).toBe('answer-end');
    expect(worker.calls[0]).toMatchObject({ path: '/v1/chat', signed: true, requestId: 'req-42', intent: 'restaurant_reviews', body: { message: 'best pasta?' } });
    expect(pool.snapshot()[0]).toMatchObject({ source: 'static', state: 'ready', breaker: 'closed', active: 0 });
  });

  it('reuses the keep-alive connection for the next turn after a stream ended cleanly', async () => {
    const worker = await double();
    const pool = new WorkerPool({ staticUrls: [worker.url], secret });
    for (const requestId of ['k1', 'k2', 'k3']) await collect((await pool.openChat({ message: 'hi' }, { requestId })).events);
    expect(worker.calls.map((call) => call.connection)).toEqual([1, 1, 1]);
  });

  it('sends each request to the least-loaded worker (not in turn, not always the first)', async () => {
    let releaseHeld: () => void = () => undefined;
    const held = new Promise<void>((resolve) => {
      releaseHeld = resolve;
    });
    // Only the first call on either double is held (mid-stream); every later call streams at once.
    let holding = true;
    const hold = (index: number) => {
      if (index !== 1 || !holding) return undefined;
      holding = false;
      return held;
    };
    const first = await double({ beforeEvent: hold });
    const second = await double({ beforeEvent: hold });
    const pool = new WorkerPool({ staticUrls: [first.url, second.url], secret, concurrency: 4 });
    const busy = await pool.openChat({ message: 'held' }, { requestId: 'held' });
    const served: string[] = [];
    for (const requestId of ['n1', 'n2', 'n3']) {
      const stream = await pool.openChat({ message: 'quick' }, { requestId });
      served.push(stream.workerId);
      await collect(stream.events);
    }
    // The held stream keeps one worker at 1/4 load: every other request goes to the idle one
    // (round-robin would have sent n2 to the busy worker, first-eligible would have sent n1 there).
    const idle = busy.workerId === 'static-1' ? 'static-2' : 'static-1';
    expect(served).toEqual([idle, idle, idle]);
    const idleDouble = idle === 'static-1' ? first : second;
    expect(idleDouble.calls.map((call) => call.requestId)).toEqual(['n1', 'n2', 'n3']);
    releaseHeld();
    await collect(busy.events);
    expect(pool.snapshot().map((snapshot) => snapshot.active)).toEqual([0, 0]);
  });

  it('retries once on another worker when the first fails before the first byte', async () => {
    const broken = await double({ fault: 'refuse' });
    const healthy = await double();
    const pool = new WorkerPool({ staticUrls: [broken.url, healthy.url], secret });
    // Make the broken worker the preferred one by giving the healthy one a queue of load.
    for (let attempt = 0; attempt < 4; attempt += 1) {
      const stream = await pool.openChat({ message: 'hi' }, { requestId: `r${attempt}` });
      expect(stream.workerId).toBe('static-2');
      await collect(stream.events);
    }
    expect(healthy.calls).toHaveLength(4);
    const brokenSnapshot = pool.snapshot().find((snapshot) => snapshot.url === broken.url);
    expect(brokenSnapshot?.lastError).toMatch(/unreachable/);
  });

  it('never retries once the stream has started: a worker dying mid-stream yields an error event', async () => {
    const dying = await double({ fault: 'die-mid-stream', dieAfterEvents: 2 });
    const other = await double();
    const pool = new WorkerPool({ staticUrls: [dying.url], secret });
    const stream = await pool.openChat({ message: 'hi' }, { requestId: 'mid' });
    const events = await collect(stream.events);
    expect(events.map((event) => event.type)).toEqual(['sources', 'answer-delta', 'error']);
    expect(events.at(-1)).toMatchObject({ code: 'worker_stream_broken', retryable: true });
    expect(other.calls).toHaveLength(0);
    expect(dying.calls).toHaveLength(1);
  });

  it('relays a worker\'s own error event as it is and counts the turn as served', async () => {
    const worker = await double({ fault: 'error-event' });
    const pool = new WorkerPool({ staticUrls: [worker.url], secret });
    const stream = await pool.openChat({ message: 'hi' }, { requestId: 'model-down' });
    expect(await collect(stream.events)).toEqual([{ type: 'error', code: 'model_unavailable', message: 'the chat model is not loaded', retryable: true }]);
    expect(pool.snapshot()[0]).toMatchObject({ breaker: 'closed', active: 0 });
  });

  it('turns a silent worker into a timeout error event after the idle timeout', async () => {
    const hanging = await double({ fault: 'hang' });
    const pool = new WorkerPool({ staticUrls: [hanging.url], secret, idleTimeoutMs: 200 });
    const stream = await pool.openChat({ message: 'hi' }, { requestId: 'idle' });
    const events = await collect(stream.events);
    expect(events.at(-1)).toMatchObject({ type: 'error', code: 'worker_timeout' });
    await hanging.waitFor((call) => call.aborted);
  });

  it('fails over to the second worker when the first does not respond in time, and counts it against the first', async () => {
    const slow = await double({ fault: 'slow-first-byte', firstByteDelayMs: 2000 });
    const healthy = await double();
    const pool = new WorkerPool({ staticUrls: [slow.url, healthy.url], secret, connectTimeoutMs: 150, breakerThreshold: 1 });
    const stream = await pool.openChat({ message: 'hi' }, { requestId: 'slow' });
    expect(stream.workerId).toBe('static-2');
    expect((await collect(stream.events)).at(-1)?.type).toBe('answer-end');
    expect(slow.calls.map((call) => call.requestId)).toEqual(['slow']);
    expect(healthy.calls.map((call) => call.requestId)).toEqual(['slow']);
    await slow.waitFor((call) => call.aborted);
    expect(pool.snapshot()).toMatchObject([
      { id: 'static-1', breaker: 'open', state: 'degraded', lastError: expect.stringMatching(/did not respond within 150 ms/) },
      { id: 'static-2', breaker: 'closed', state: 'ready' },
    ]);
  });

  it('reports worker_timeout when the only worker does not respond in time', async () => {
    const slow = await double({ fault: 'slow-first-byte', firstByteDelayMs: 2000 });
    const pool = new WorkerPool({ staticUrls: [slow.url], secret, connectTimeoutMs: 150 });
    await expect(pool.openChat({ message: 'hi' }, { requestId: 'slow' })).rejects.toMatchObject({ code: 'worker_timeout' });
  });

  it('opens the breaker after consecutive failures and lets one probe through after the half-open delay', async () => {
    const flaky = await double({ fault: 'http-error' });
    const pool = new WorkerPool({ staticUrls: [flaky.url], secret, breakerThreshold: 2, breakerHalfOpenMs: 150 });
    for (let attempt = 0; attempt < 2; attempt += 1) {
      await expect(pool.openChat({ message: 'hi' }, { requestId: `f${attempt}` })).rejects.toMatchObject({ code: 'internal' });
    }
    expect(pool.snapshot()[0]?.breaker).toBe('open');
    await expect(pool.openChat({ message: 'hi' }, { requestId: 'blocked' })).rejects.toMatchObject({ code: 'no_worker' });
    expect(flaky.calls).toHaveLength(2);
    flaky.setFault('none');
    await new Promise((resolve) => setTimeout(resolve, 200));
    const probe = await pool.openChat({ message: 'hi' }, { requestId: 'probe' });
    await collect(probe.events);
    expect(flaky.calls).toHaveLength(3);
    expect(pool.snapshot()[0]?.breaker).toBe('closed');
  });

  it('passes a worker\'s own 400 through without failover or breaker damage', async () => {
    const refusing = await double({ fault: 'bad-request' });
    const other = await double();
    const pool = new WorkerPool({ staticUrls: [refusing.url, other.url], secret, breakerThreshold: 1 });
    for (const requestId of ['bad-1', 'bad-2']) {
      await expect(pool.openChat({ message: 'hi' }, { requestId })).rejects.toMatchObject({ code: 'validation_failed', status: 400, isRetryable: false, message: /refuse the request/ });
    }
    await expect(pool.callJson('/v1/retrieve', { query: 'pasta' }, { requestId: 'bad-json' })).rejects.toMatchObject({ code: 'validation_failed', status: 400 });
    expect(refusing.calls.map((call) => call.requestId)).toEqual(['bad-1', 'bad-2', 'bad-json']);
    expect(other.calls).toHaveLength(0);
    // Not marked degraded (it was never probed, so it stays `unknown`), breaker closed at threshold 1.
    expect(pool.snapshot()[0]).toMatchObject({ id: 'static-1', breaker: 'closed', state: 'unknown', lastError: null });
  });

  it('treats a signature the worker rejects (401) as the worker being unusable: breaker and failover', async () => {
    const strict = await startWorkerDouble({ secret: 'the-worker-has-another-secret-0123' });
    doubles.push(strict);
    const healthy = await double();
    const pool = new WorkerPool({ staticUrls: [strict.url, healthy.url], secret, breakerThreshold: 1 });
    const stream = await pool.openChat({ message: 'hi' }, { requestId: 'sig' });
    expect(stream.workerId).toBe('static-2');
    await collect(stream.events);
    expect(pool.snapshot()[0]).toMatchObject({ breaker: 'open', lastError: expect.stringMatching(/WORKER_SHARED_SECRET/) });
  });

  it('fails over from a worker that answers 503 worker_busy without counting it against its breaker', async () => {
    const full = await double({ fault: 'busy' });
    const other = await double();
    const pool = new WorkerPool({ staticUrls: [full.url, other.url], secret, breakerThreshold: 1 });
    const stream = await pool.openChat({ message: 'hi' }, { requestId: 'b1' });
    expect(stream.workerId).toBe('static-2');
    await collect(stream.events);
    expect(full.calls.map((call) => call.requestId)).toEqual(['b1']);
    expect(other.calls.map((call) => call.requestId)).toEqual(['b1']);
    // A full queue says nothing about the worker's health: breaker closed at threshold 1, not degraded.
    expect(pool.snapshot()[0]).toMatchObject({ breaker: 'closed', state: 'unknown', lastError: null });
  });

  it('reports worker_busy when the only worker answers 503 worker_busy', async () => {
    const full = await double({ fault: 'busy' });
    const pool = new WorkerPool({ staticUrls: [full.url], secret, breakerThreshold: 1 });
    await expect(pool.openChat({ message: 'hi' }, { requestId: 'busy' })).rejects.toMatchObject({ code: 'worker_busy', isRetryable: true });
    expect(pool.snapshot()[0]).toMatchObject({ breaker: 'closed' });
  });

  it('counts an offline tunnel (ngrok\'s error page) against the worker and fails over', async () => {
    const offline = await double({ fault: 'tunnel-offline' });
    const healthy = await double();
    const pool = new WorkerPool({ staticUrls: [offline.url, healthy.url], secret, breakerThreshold: 1 });
    for (const requestId of ['t1', 't2']) {
      const stream = await pool.openChat({ message: 'hi' }, { requestId });
      expect(stream.workerId).toBe('static-2');
      await collect(stream.events);
    }
    expect(offline.calls).toHaveLength(1);
    expect(healthy.calls.map((call) => call.requestId)).toEqual(['t1', 't2']);
    // The status badge no longer counts it: degraded with an open breaker.
    expect(pool.snapshot()[0]).toMatchObject({ breaker: 'open', state: 'degraded', lastError: expect.stringMatching(/HTTP 404 with ngrok error ERR_NGROK_3200/) });
    expect(pool.availability()).toMatchObject({ up: 1, known: 2 });
  });

  it('counts a reply that is not the worker\'s own error shape (a proxy page) as the worker being unreachable', async () => {
    const offline = await double({ fault: 'tunnel-offline' });
    const pool = new WorkerPool({
      staticUrls: [offline.url],
      secret,
      breakerThreshold: 1,
      // The same page without ngrok's header: still not the worker speaking.
      fetch: async (url, init) => {
        const response = await fetch(url, init);
        return new Response(await response.text(), { status: response.status, headers: { 'content-type': 'text/html' } });
      },
    });
    await expect(pool.openChat({ message: 'hi' }, { requestId: 'proxy' })).rejects.toMatchObject({ code: 'worker_unavailable', isRetryable: true, message: /not the worker's own/ });
    expect(pool.snapshot()[0]).toMatchObject({ breaker: 'open' });
  });

  it('bounds concurrency per worker and reports worker_busy when slots and queue are full', async () => {
    let release: () => void = () => undefined;
    const held = new Promise<void>((resolve) => {
      release = resolve;
    });
    const worker = await double({ beforeEvent: (index) => (index === 1 ? held : undefined) });
    const pool = new WorkerPool({ staticUrls: [worker.url], secret, concurrency: 1, maxQueue: 1 });
    const first = await pool.openChat({ message: 'one' }, { requestId: '1' });
    const queued = pool.openChat({ message: 'two' }, { requestId: '2' });
    await new Promise((resolve) => setTimeout(resolve, 20));
    expect(pool.snapshot()[0]).toMatchObject({ active: 1, queue: 1 });
    await expect(pool.openChat({ message: 'three' }, { requestId: '3' })).rejects.toMatchObject({ code: 'worker_busy' });
    release();
    await collect(first.events);
    await collect((await queued).events);
    expect(worker.calls.map((call) => call.requestId)).toEqual(['1', '2']);
  });

  it('answers worker_busy only when every worker\'s slots and queue are full, and serves the queued ones in order', async () => {
    let release: () => void = () => undefined;
    const held = new Promise<void>((resolve) => {
      release = resolve;
    });
    const options = { beforeEvent: (index: number) => (index === 1 ? held : undefined) };
    const first = await double(options);
    const second = await double(options);
    const pool = new WorkerPool({ staticUrls: [first.url, second.url], secret, concurrency: 1, maxQueue: 1 });
    const running = [await pool.openChat({ message: 'one' }, { requestId: 'r1' }), await pool.openChat({ message: 'two' }, { requestId: 'r2' })];
    expect(running.map((stream) => stream.workerId).sort()).toEqual(['static-1', 'static-2']);
    const queued = [pool.openChat({ message: 'three' }, { requestId: 'q1' }), pool.openChat({ message: 'four' }, { requestId: 'q2' })];
    await until(() => pool.snapshot().every((snapshot) => snapshot.queue === 1));
    await expect(pool.openChat({ message: 'five' }, { requestId: 'x' })).rejects.toMatchObject({ code: 'worker_busy', isRetryable: true });
    release();
    for (const stream of running) await collect(stream.events);
    for (const stream of await Promise.all(queued)) await collect(stream.events);
    expect([...first.calls, ...second.calls].map((call) => call.requestId).sort()).toEqual(['q1', 'q2', 'r1', 'r2']);
    expect(pool.snapshot().map((snapshot) => snapshot.breaker)).toEqual(['closed', 'closed']);
  });

  it('gives up waiting in a worker\'s queue after the queue timeout with worker_busy', async () => {
    let release: () => void = () => undefined;
    const held = new Promise<void>((resolve) => {
      release = resolve;
    });
    const worker = await double({ beforeEvent: (index) => (index === 1 ? held : undefined) });
    const pool = new WorkerPool({ staticUrls: [worker.url], secret, concurrency: 1, queueTimeoutMs: 100 });
    const running = await pool.openChat({ message: 'one' }, { requestId: '1' });
    await expect(pool.openChat({ message: 'two' }, { requestId: '2' })).rejects.toMatchObject({ code: 'worker_busy', message: /within 100 ms/ });
    expect(pool.snapshot()[0]).toMatchObject({ active: 1, queue: 0, breaker: 'closed' });
    release();
    await collect(running.events);
    expect(worker.calls.map((call) => call.requestId)).toEqual(['1']);
  });

  it('aborting the caller\'s signal aborts the worker request', async () => {
    let release: () => void = () => undefined;
    const held = new Promise<void>((resolve) => {
      release = resolve;
    });
    const worker = await double({ beforeEvent: (index) => (index === 2 ? held : undefined) });
    const pool = new WorkerPool({ staticUrls: [worker.url], secret });
    const controller = new AbortController();
    const stream = await pool.openChat({ message: 'hi' }, { requestId: 'abort', signal: controller.signal });
    const iterator = stream.events[Symbol.asyncIterator]();
    expect((await iterator.next()).value?.type).toBe('sources');
    expect((await iterator.next()).value?.type).toBe('answer-delta');
    const pending = iterator.next();
    controller.abort();
    expect((await pending).done).toBe(true);
    await worker.waitFor((call) => call.aborted);
    release();
    expect(pool.snapshot()[0]?.active).toBe(0);
  });

  it('registers heartbeat workers at once, expires them after three missed intervals and drops them on goodbye', async () => {
    let now = 1_000_000;
    const pool = new WorkerPool({ secret, now: () => now, urlPolicy: loopbackUrls });
    expect(await pool.applyHeartbeat(heartbeat('w1', 'http://127.0.0.1:9/'))).toEqual({ registered: true, removed: false });
    expect(pool.snapshot()).toMatchObject([{ id: 'w1', source: 'heartbeat', state: 'ready', url: 'http://127.0.0.1:9' }]);
    now += 14_000; // 2.8 intervals of 5 s
    expect(pool.snapshot()).toHaveLength(1);
    expect((await pool.applyHeartbeat(heartbeat('w1', 'http://127.0.0.1:9/'))).registered).toBe(false);
    now += 15_001; // just over 3 intervals since the last heartbeat
    expect(pool.snapshot()).toHaveLength(0);
    await pool.applyHeartbeat(heartbeat('w2', 'http://127.0.0.1:10'));
    expect(await pool.applyHeartbeat({ ...heartbeat('w2', 'http://127.0.0.1:10'), goodbye: true })).toEqual({ registered: false, removed: true });
    expect(pool.snapshot()).toHaveLength(0);
    expect(pool.availability()).toMatchObject({ up: 0, known: 0 });
  });

  it('merges a heartbeat from a static worker into its existing entry', async () => {
    const pool = new WorkerPool({ staticUrls: ['http://127.0.0.1:11/'], secret, urlPolicy: loopbackUrls });
    await pool.applyHeartbeat({ ...heartbeat('laptop', 'http://127.0.0.1:11'), backend: 'ollama' });
    expect(pool.snapshot()).toMatchObject([{ id: 'static-1', source: 'static', backend: 'ollama', state: 'ready' }]);
    expect(pool.availability()).toMatchObject({ up: 1, ready: 1, backend: 'ollama' });
  });

  it('shares heartbeat workers through one registry while each pool keeps its own breaker', async () => {
    const worker = await double({ fault: 'http-error' });
    const registry = new MemoryWorkerRegistry();
    const gatewayA = new WorkerPool({ secret, registry, urlPolicy: loopbackUrls, breakerThreshold: 1 });
    const gatewayB = new WorkerPool({ secret, registry, urlPolicy: loopbackUrls, breakerThreshold: 1 });
    await gatewayA.applyHeartbeat(heartbeat('shared', worker.url));
    await gatewayB.refresh();
    expect(gatewayB.snapshot()).toMatchObject([{ id: 'shared', source: 'heartbeat', url: worker.url }]);
    await expect(gatewayB.openChat({ message: 'hi' }, { requestId: 'via-b' })).rejects.toMatchObject({ code: 'internal' });
    expect(gatewayB.snapshot()[0]?.breaker).toBe('open');
    expect(gatewayA.snapshot()[0]?.breaker).toBe('closed');
    await gatewayA.applyHeartbeat({ ...heartbeat('shared', worker.url), goodbye: true });
    await gatewayB.refresh();
    expect(gatewayB.snapshot()).toEqual([]);
  });

  it('keeps a heartbeat worker degraded after a failed call until its next heartbeat, however often the registry is read', async () => {
    let now = 1_000_000;
    const worker = await double({ fault: 'http-error' });
    const pool = new WorkerPool({ secret, now: () => now, urlPolicy: loopbackUrls, registryCacheMs: 0 });
    await pool.applyHeartbeat(heartbeat('hb', worker.url));
    await expect(pool.openChat({ message: 'hi' }, { requestId: 'fails' })).rejects.toMatchObject({ code: 'internal' });
    now += 1000;
    await pool.refresh();
    expect(pool.snapshot()[0]).toMatchObject({ state: 'degraded' });
    await pool.applyHeartbeat(heartbeat('hb', worker.url));
    expect(pool.snapshot()[0]).toMatchObject({ state: 'ready' });
  });

  it('keeps serving static workers and its last view while the registry cannot be read, and says so once per change', async () => {
    const worker = await double();
    const registry = new MemoryWorkerRegistry();
    let failing = false;
    const list = registry.list.bind(registry);
    registry.list = async () => {
      if (failing) throw new Error('registry table unreachable');
      return list();
    };
    const health: string[] = [];
    const pool = new WorkerPool({
      staticUrls: [worker.url],
      secret,
      registry,
      urlPolicy: loopbackUrls,
      registryCacheMs: 0,
      onRegistryHealth: (error) => health.push(error === undefined ? 'ok' : String(error)),
    });
    await pool.applyHeartbeat(heartbeat('hb', 'http://127.0.0.1:9'));
    failing = true;
    for (const requestId of ['f1', 'f2']) {
      const stream = await pool.openChat({ message: 'hi' }, { requestId });
      await collect(stream.events);
    }
    expect(pool.snapshot().map((snapshot) => snapshot.id).sort()).toEqual(['hb', 'static-1']);
    await new Promise((resolve) => setImmediate(resolve)); // let the read that snapshot() started fail
    failing = false;
    await collect((await pool.openChat({ message: 'hi' }, { requestId: 'back' })).events);
    expect(health).toEqual(['Error: registry table unreachable', 'ok']);
    expect(worker.calls.map((call) => call.requestId)).toEqual(['f1', 'f2', 'back']);
  });

  it('reports no_worker at once when the pool is empty', async () => {
    const pool = new WorkerPool({ secret });
    await expect(pool.openChat({ message: 'hi' }, { requestId: 'none' })).rejects.toMatchObject({ code: 'no_worker', isRetryable: true });
  });

  it('forwards JSON calls with one failover', async () => {
    const broken = await double({ fault: 'refuse' });
    const healthy = await double();
    const pool = new WorkerPool({ staticUrls: [broken.url, healthy.url], secret });
    const results = await Promise.all([0, 1].map((index) => pool.callJson('/v1/retrieve', { query: 'pasta' }, { requestId: `j${index}` })));
    for (const result of results) expect(result).toMatchObject({ workerId: 'static-2', body: { results: [{ id: 'r1' }] } });
  });

  describe('admission (reserving capacity before a turn starts)', () => {
    const counters = (pool: WorkerPool) => pool.snapshot().map((snapshot) => [snapshot.active, snapshot.queue]);

    it('reserves a slot, then a queue place, then reports busy; releasing gives each back', async () => {
      const worker = await double();
      const pool = new WorkerPool({ staticUrls: [worker.url], secret, concurrency: 1, maxQueue: 1 });
      const running = pool.admit();
      const queued = pool.admit();
      expect([running.kind, queued.kind, pool.admit().kind]).toEqual(['reserved', 'reserved', 'busy']);
      expect(counters(pool)).toEqual([[1, 1]]);
      if (queued.kind === 'reserved') queued.reservation.release();
      if (running.kind === 'reserved') running.reservation.release();
      expect(counters(pool)).toEqual([[0, 0]]);
      expect(new WorkerPool({ secret }).admit().kind).toBe('no-worker');
    });

    it('sends the turn to the worker its capacity was reserved on, and frees it when the stream ends', async () => {
      const first = await double();
      const second = await double();
      const pool = new WorkerPool({ staticUrls: [first.url, second.url], secret });
      const admissions = [pool.admit(), pool.admit()];
      const reservations = admissions.map((admission) => (admission.kind === 'reserved' ? admission.reservation : undefined));
      // least-loaded first: one reservation on each worker
      expect(reservations.map((reservation) => reservation?.worker.id).sort()).toEqual(['static-1', 'static-2']);
      // the second one reserved static-2, which is now as loaded as static-1: it still goes there
      const stream = await pool.openChat({ message: 'hi' }, { requestId: 'reserved' }, reservations[1]);
      expect(stream.workerId).toBe(reservations[1]?.worker.id);
      await collect(stream.events);
      reservations[0]?.release();
      expect(counters(pool)).toEqual([[0, 0], [0, 0]]);
    });

    it('gives a queued reservation the slot when the running turn ends, and gives it back when the call fails', async () => {
      let release: () => void = () => undefined;
      const held = new Promise<void>((resolve) => {
        release = resolve;
      });
      const worker = await double({ beforeEvent: (index) => (index === 1 ? held : undefined) });
      const pool = new WorkerPool({ staticUrls: [worker.url], secret, concurrency: 1, maxQueue: 1 });
      const [running, queued] = [pool.admit(), pool.admit()].map((admission) => (admission.kind === 'reserved' ? admission.reservation : undefined));
      const stream = await pool.openChat({ message: 'one' }, { requestId: '1' }, running);
      const waiting = pool.openChat({ message: 'two' }, { requestId: '2' }, queued);
      expect(counters(pool)).toEqual([[1, 1]]);
      worker.setFault('http-error');
      release();
      await collect(stream.events);
      await expect(waiting).rejects.toMatchObject({ code: 'internal', message: /failed/ });
      expect(counters(pool)).toEqual([[0, 0]]);
      expect(worker.calls.map((call) => call.requestId)).toEqual(['1', '2']);
    });
  });
});
