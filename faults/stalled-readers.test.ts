import { connect, type Socket } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startWorkerDouble, type WorkerDouble } from '@review-assistant/cloud-gateway/testing';
import { chatOnce } from './support/chat-client.js';
import type { CompiledService } from './support/compiled-service.js';
import { waitUntil } from './support/http-probe.js';
import { canarySecret, startGatewayProcess, tempDir } from './support/stack.js';

/**
 * Ten clients ask for a large answer (8 MB, beyond what the kernel buffers for a connection) and
 * then stop reading. They must not hold the gateway's worker slots: normal chats from other users
 * still complete, promptly, while the stalled clients are connected.
 */

const SECRET = canarySecret('stalled');
const STALLED = 10;
const WORD = `${'x'.repeat(4095)} `;
const LARGE_ANSWER = WORD.repeat(2048); // 8 MiB in 2,048 answer-delta events

let worker: WorkerDouble;
let gateway: CompiledService;
let dirs: Awaited<ReturnType<typeof tempDir>>;
const stalled: Socket[] = [];

beforeAll(async () => {
  worker = await startWorkerDouble({ secret: SECRET, workerId: 'large-answers', answer: LARGE_ANSWER, capacity: 8 });
  dirs = await tempDir('stalled');
  gateway = await startGatewayProcess({
    secret: SECRET,
    dataDir: dirs.path,
    workerUrls: [worker.url],
    // the gateway's defaults: 8 concurrent requests per worker; lift only the per-IP chat limit
    env: { CHAT_RATE_LIMIT_PER_MINUTE: '100000', CHAT_RATE_LIMIT_BURST: '100000' },
  });
});

afterAll(async () => {
  for (const socket of stalled) socket.destroy();
  await gateway?.stop();
  await worker?.close();
  await dirs?.cleanup();
});

/** Sends a chat request on a raw socket and never reads the answer. */
function stalledReader(gatewayUrl: string): Promise<Socket> {
  const { hostname, port } = new URL(gatewayUrl);
  const body = JSON.stringify({ message: 'Tell me everything about Casa Lumbre' });
  return new Promise((resolve, reject) => {
    const socket = connect({ host: hostname, port: Number(port) }, () => {
      socket.write(`POST /api/chat HTTP/1.1\r\nhost: ${hostname}\r\ncontent-type: application/json\r\naccept: text/event-stream\r\ncontent-length: ${Buffer.byteLength(body)}\r\n\r\n${body}`);
      socket.pause();
      resolve(socket);
    });
    socket.on('error', () => undefined);
    socket.once('error', reject);
  });
}

describe('stalled readers', () => {
  it(`lets normal chats complete while ${STALLED} clients stop reading large streams`, async () => {
    for (let index = 0; index < STALLED; index += 1) stalled.push(await stalledReader(gateway.url));
    // every stalled client's turn reached the worker and started streaming
    await waitUntil(() => worker.calls.filter((call) => call.path === '/v1/chat' && call.eventsSent > 0).length >= STALLED, 30_000, 'the stalled turns to start');

    worker.options.answer = 'Casa Lumbre is loud but the tacos are great [r1].';
    const timings: number[] = [];
    for (let turn = 0; turn < 3; turn += 1) {
      const started = Date.now();
      const { status, events, answer } = await chatOnce(gateway.url, 'Is Casa Lumbre good for a quiet date?');
      timings.push(Date.now() - started);
      expect(status).toBe(200);
      expect(events.at(-1)?.type, JSON.stringify(events.filter((event) => event.type === 'error'))).toBe('answer-end');
      expect(answer).toContain('Casa Lumbre');
    }
    // the stalled turns hold no worker stream open: each finished (buffered or cut off by the gateway)
    const stalledCalls = worker.calls.filter((call) => call.path === '/v1/chat').slice(0, STALLED);
    await waitUntil(() => stalledCalls.every((call) => call.finished || call.aborted), 15_000, 'the stalled turns to release the worker');
    const closedByGateway = stalled.filter((socket) => socket.closed).length;
    console.info(`[faults] ${STALLED} stalled readers (8 MiB answers, default pool of 8 slots): normal chats completed in ${timings.join(', ')} ms; worker streams of the stalled turns all ended; ${closedByGateway} stalled connections closed by the gateway so far`);
    expect(gateway.alive()).toBe(true);
  });
});
