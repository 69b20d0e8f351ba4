import { connect as connectTcp } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import type WebSocket from 'ws';
import type { StreamEvent, WsServerMessage } from '@review-assistant/shared';
import { MemoryWorkerRegistry } from '../pool/registry/memory-worker-registry.js';
import type { RegisteredWorker } from '../pool/registry/worker-registry.js';
import type { WorkerPoolOptions } from '../pool/worker-pool.js';
import { createTestGateway, openChatSocket, readSse, type TestGateway } from '../testing/gateway-harness.js';
import { startWorkerDouble, type WorkerDouble, type WorkerDoubleOptions } from '../testing/worker-double.js';

/**
 * A burst of chats arriving in the same instant at a pool with room left: admission reserves a
 * slot or a queue place per admitted turn, so exactly CONCURRENCY + QUEUE turns stream and the rest
 * are shed before anything starts (503 worker_busy + Retry-After over HTTP, one retryable
 * worker_busy event over the WebSocket), on every chat channel; and every path gives the capacity back.
 */

const secret = 'burst-test-secret-0123456789';
const KEY = 'burst-test-key-0123456789';
const CONCURRENCY = 2;
const QUEUE = 1;
const BURST = 8;
const ADMITTED = CONCURRENCY + QUEUE;
const SHED = BURST - ADMITTED;
const QUESTION = 'Which restaurant has the best pasta?';

const cleanups: (() => Promise<unknown>)[] = [];
afterEach(async () => {
  while (cleanups.length > 0) await cleanups.pop()?.().catch(() => undefined);
});

/** A worker double whose chat streams wait before their first event until `release()`. */
async function heldWorker(options: WorkerDoubleOptions = {}): Promise<{ worker: WorkerDouble; release: () => void }> {
  let release!: () => void;
  const held = new Promise<void>((resolve) => (release = resolve));
  const worker = await startWorkerDouble({ secret, beforeEvent: (index) => (index === 0 ? held : undefined), ...options });
  cleanups.push(() => worker.close());
  return { worker, release };
}

/**
 * A registry whose reads take a while, as a DynamoDB round trip does (`WORKER_REGISTRY=dynamodb`):
 * the pool reads it before a worker call when its copy is stale (the first call, then every
 * `registryCacheMs`), so the turns of a burst are all admitted before the first of them reaches
 * the worker. Checking whether the pool is full at admission, without reserving, let them all in.
 */
class SlowRegistry extends MemoryWorkerRegistry {
  override async list(): Promise<RegisteredWorker[]> {
    await new Promise((resolve) => setTimeout(resolve, 100));
    return super.list();
  }
}

async function gatewayFor(worker: WorkerDouble, pool: WorkerPoolOptions = {}): Promise<TestGateway> {
  const gateway = createTestGateway({
    settings: { workerSharedSecret: secret, apiKeys: [KEY] },
    pool: { staticUrls: [worker.url], concurrency: CONCURRENCY, maxQueue: QUEUE, registry: new SlowRegistry(), ...pool },
  });
  await gateway.listen();
  cleanups.push(() => gateway.close());
  return gateway;
}

function sseChat(url: string, message = QUESTION, signal?: AbortSignal): Promise<Response> {
  return fetch(`${url}/api/chat`, { method: 'POST', body: JSON.stringify({ message }), headers: { 'content-type': 'application/json' }, ...(signal ? { signal } : {}) });
}

async function sseEvents(response: Response): Promise<StreamEvent[]> {
  const events: StreamEvent[] = [];
  for await (const { data } of readSse(response.body!)) events.push(data);
  return events;
}

async function until(condition: () => boolean, what: string, timeoutMs = 10_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!condition()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 5));
  }
}

/** Slots and queue places this gateway's pool holds, over all workers. */
function held(gateway: TestGateway): { active: number; queue: number } {
  const workers = gateway.deps.pool.snapshot();
  return { active: workers.reduce((sum, worker) => sum + worker.active, 0), queue: workers.reduce((sum, worker) => sum + worker.queue, 0) };
}

async function poolEmpties(gateway: TestGateway, what: string): Promise<void> {
  await until(() => held(gateway).active === 0 && held(gateway).queue === 0, `the pool's counters to return to zero after ${what} (now ${JSON.stringify(held(gateway))})`);
}

describe(`a burst of ${BURST} chats into a pool of ${CONCURRENCY} slots + ${QUEUE} queued`, () => {
  it(`POST /api/chat: exactly ${ADMITTED} streams, all answered, and ${SHED} × 503 worker_busy with Retry-After; none a 200 carrying worker_busy`, async () => {
    const { worker, release } = await heldWorker();
    const gateway = await gatewayFor(worker);
    const responses = await Promise.all(Array.from({ length: BURST }, () => sseChat(gateway.url)));
    const streams = responses.filter((response) => response.status === 200);
    const shed = responses.filter((response) => response.status !== 200);
    await until(() => worker.calls.filter((call) => call.path === '/v1/chat').length === CONCURRENCY, 'the running turns to reach the worker');
    release();
    const answered = await Promise.all(streams.map(sseEvents));
    const inStreamErrors = answered.flat().filter((event) => event.type === 'error');
    expect(inStreamErrors).toEqual([]);
    expect(responses.map((response) => response.status).sort()).toEqual([...Array<number>(ADMITTED).fill(200), ...Array<number>(SHED).fill(503)]);
    for (const events of answered) expect(events.at(-1)?.type).toBe('answer-end');
    for (const response of shed) {
      expect(response.headers.get('retry-after')).toBe('2');
      expect(((await response.json()) as { error: { code: string } }).error.code).toBe('worker_busy');
    }
    expect(worker.calls.filter((call) => call.path === '/v1/chat')).toHaveLength(ADMITTED);
    await poolEmpties(gateway, 'the burst');
  });

  it(`WS /ws/chat: exactly ${ADMITTED} turns answered, ${SHED} refused with one retryable worker_busy event before the turn starts (no intent)`, async () => {
    const { worker, release } = await heldWorker();
    const gateway = await gatewayFor(worker);
    const sockets = await Promise.all(Array.from({ length: BURST }, () => connect(gateway.url)));
    for (const [index, { socket }] of sockets.entries()) socket.send(JSON.stringify({ type: 'chat', turnId: `t${index}`, request: { message: QUESTION } }));
    const refusedNow = () => sockets.filter(({ messages }) => messages.some((message) => message.event.type === 'error')).length;
    await until(() => refusedNow() >= SHED && worker.calls.filter((call) => call.path === '/v1/chat').length === CONCURRENCY, 'the refusals and the running turns');
    release();
    await until(() => sockets.every(({ messages }) => messages.some((message) => message.event.type === 'answer-end' || message.event.type === 'error')), 'every turn to end');
    const refused = sockets.filter(({ messages }) => messages.some((message) => message.event.type === 'error'));
    const answered = sockets.filter(({ messages }) => messages.at(-1)?.event.type === 'answer-end');
    expect(refused.map(({ messages }) => messages.map((message) => message.event))).toEqual(
      Array.from({ length: SHED }, () => [expect.objectContaining({ type: 'error', code: 'worker_busy', retryable: true })]),
    );
    expect(answered).toHaveLength(ADMITTED);
    for (const { messages } of answered) expect(messages[0]?.event).toMatchObject({ type: 'intent', route: 'worker' });
    await poolEmpties(gateway, 'the burst');
  });

  it.each([
    ['POST /v1/chat/completions (OpenAI)', '/v1/chat/completions', { model: 'review-assistant', messages: [{ role: 'user', content: QUESTION }], stream: true }],
    ['POST /ollama/api/chat (Ollama)', '/ollama/api/chat', { model: 'review-assistant', messages: [{ role: 'user', content: QUESTION }] }],
  ])(`%s: ${SHED} × 503 with Retry-After at once, the ${ADMITTED} admitted answered`, async (_name, path, body) => {
    const { worker, release } = await heldWorker();
    const gateway = await gatewayFor(worker);
    const settled: Response[] = [];
    const requests = Array.from({ length: BURST }, () =>
      fetch(`${gateway.url}${path}`, { method: 'POST', headers: { 'content-type': 'application/json', authorization: `Bearer ${KEY}` }, body: JSON.stringify(body) }).then((response) => {
        settled.push(response);
        return response;
      }),
    );
    // The admitted streams start with their first piece, which the held worker has not sent yet:
    // what answers before the release is what admission refused.
    await until(() => settled.length >= SHED && worker.calls.filter((call) => call.path === '/v1/chat').length === CONCURRENCY, 'the refusals and the running turns');
    const refused = [...settled];
    for (const response of refused) {
      expect(response.status).toBe(503);
      expect(response.headers.get('retry-after')).toBe('2');
      expect(await response.text()).toContain('busy');
    }
    release();
    const all = await Promise.all(requests);
    const admitted = all.filter((response) => !refused.includes(response));
    expect(admitted.map((response) => response.status)).toEqual(Array<number>(ADMITTED).fill(200));
    for (const response of admitted) expect(await response.text()).toContain('Casa Olivo');
    expect(refused).toHaveLength(SHED);
    await poolEmpties(gateway, 'the burst');
  });

  it('keeps small talk and declines answered while the pool is full', async () => {
    const { worker, release } = await heldWorker();
    const gateway = await gatewayFor(worker);
    const running = await Promise.all(Array.from({ length: ADMITTED }, () => sseChat(gateway.url)));
    expect((await sseChat(gateway.url)).status).toBe(503);
    for (const message of ['hello there', 'can you transfer money from my bank?']) {
      const response = await sseChat(gateway.url, message);
      expect(response.status).toBe(200);
      expect((await sseEvents(response)).at(-1)?.type).toBe('answer-end');
    }
    release();
    for (const response of running) expect((await sseEvents(response)).at(-1)?.type).toBe('answer-end');
    await poolEmpties(gateway, 'the turns');
  });
});

describe('admitted capacity is given back on every path', () => {
  it('returns the pool counters to zero after answered, shed, client-aborted (before and during the stream), cancelled, closed and failed turns', async () => {
    const worker = await startWorkerDouble({ secret, tokenDelayMs: 15, answer: Array.from({ length: 40 }, (_, index) => `word${index}`).join(' ') });
    cleanups.push(() => worker.close());
    // the failures below must reach the worker each time, not stop at an open breaker
    const gateway = await gatewayFor(worker, { breakerThreshold: 1000 });

    // SSE: some read to the end, some abort before the response arrives, some abort mid-stream
    const turns = Array.from({ length: 12 }, async (_, index) => {
      const controller = new AbortController();
      const kind = index % 3;
      if (kind === 1) setImmediate(() => controller.abort());
      const response = await sseChat(gateway.url, QUESTION, controller.signal).catch(() => undefined);
      if (!response || response.status !== 200) return;
      if (kind === 2) {
        const reader = response.body!.getReader();
        await reader.read();
        controller.abort();
        return;
      }
      await sseEvents(response).catch(() => undefined);
    });
    await Promise.all(turns);
    await poolEmpties(gateway, 'answered, shed and aborted SSE turns');

    // clients that close the connection as soon as their request is sent, before the stream opens
    const { port } = new URL(gateway.url);
    const recordsBefore = gateway.deps.logStore.records.length;
    const body = JSON.stringify({ message: QUESTION });
    await Promise.all(
      Array.from({ length: 6 }, () => {
        const socket = connectTcp(Number(port), '127.0.0.1');
        return new Promise<void>((resolve) => {
          socket.once('connect', () => {
            const request = `POST /api/chat HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\nContent-Length: ${Buffer.byteLength(body)}\r\n\r\n${body}`;
            socket.write(request, () => socket.destroy());
          });
          socket.once('close', () => resolve());
          socket.on('error', () => undefined);
        });
      }),
    );
    // admitted turns are recorded (as cancelled) when they end
    await until(() => gateway.deps.logStore.records.length > recordsBefore, 'a turn of a closed request to be recorded');
    await poolEmpties(gateway, 'requests whose client left before the stream opened');

    // WebSocket: a turn cancelled while it waits in the queue or streams, and a socket closed mid-turn
    const sockets = await Promise.all(Array.from({ length: 5 }, () => connect(gateway.url)));
    for (const [index, { socket }] of sockets.entries()) socket.send(JSON.stringify({ type: 'chat', turnId: `w${index}`, request: { message: QUESTION } }));
    await until(() => worker.calls.filter((call) => call.path === '/v1/chat').length >= 1, 'a WebSocket turn to reach the worker');
    for (const [index, { socket }] of sockets.entries()) {
      if (index % 2 === 0) socket.send(JSON.stringify({ type: 'cancel', turnId: `w${index}` }));
      else socket.terminate();
    }
    await poolEmpties(gateway, 'cancelled and closed WebSocket turns');

    // failures: the worker refuses the connection, resets it, sends an error event, dies mid-stream
    for (const fault of ['connection-refused', 'refuse', 'error-event', 'die-mid-stream'] as const) {
      worker.setFault(fault);
      const failed = await Promise.all(Array.from({ length: 6 }, () => sseChat(gateway.url)));
      for (const response of failed) if (response.status === 200) await sseEvents(response);
      await poolEmpties(gateway, `turns failing with ${fault}`);
    }

    // and the pool serves again
    worker.setFault('none');
    const after = await sseChat(gateway.url);
    expect(after.status).toBe(200);
    expect((await sseEvents(after)).at(-1)?.type).toBe('answer-end');
    await poolEmpties(gateway, 'a last answered turn');
  });
});

async function connect(url: string): Promise<{ socket: WebSocket; messages: WsServerMessage[] }> {
  const opened = await openChatSocket(url);
  cleanups.push(async () => opened.socket.terminate());
  return opened;
}
