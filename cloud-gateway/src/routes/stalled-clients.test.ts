import { connect, type Socket } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import WebSocket from 'ws';
import type { StreamEvent } from '@review-assistant/shared';
import type { GatewaySettings } from '../deps.js';
import type { WorkerPoolOptions } from '../pool/worker-pool.js';
import { createTestGateway, readSse, type TestGateway } from '../testing/gateway-harness.js';
import { startWorkerDouble, type WorkerDouble } from '../testing/worker-double.js';

/**
 * Clients that stop reading, on real loopback sockets. The answers are larger than what the kernel
 * buffers for one connection (issue 9 measured about 4 MB; here tcp_wmem allows up to 4 MiB on the
 * gateway's side and a reader that never reads does not grow its receive window), so a gateway
 * that waited for the client would hold the worker slot for as long as the client stalls.
 */
const secret = 'stalled-clients-secret-0123456789';
const TOKEN = `${'x'.repeat(64 * 1024)} `;
const LARGE_TOKENS = 256; // 16 MiB of answer text
// Moving 16 MiB answers through real sockets takes seconds when the suite runs many files at once on
// two cores: the waits below poll up to a generous deadline (what they check is that slots come back
// while the clients still stall, not how fast).
const STALL_DEADLINE_MS = 60_000;
const cleanups: (() => Promise<void> | void)[] = [];
afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
});

/**
 * The normal chat next to the stalled readers gets a short answer: a 16 MiB answer produced at once
 * can leave even a reading client (this test process, busy on a loaded machine) more than the
 * stream buffer behind, and being cut off is then the designed outcome, not a held slot.
 */
const NORMAL_QUESTION = 'a normal question';
const shortAnswerForNormalQuestion = (body: unknown) =>
  typeof body === 'object' && body !== null && (body as { message?: unknown }).message === NORMAL_QUESTION ? 'A short answer. ' : undefined;

async function setup(options: { pool?: WorkerPoolOptions; settings?: Partial<GatewaySettings>; tokens?: number } = {}): Promise<{ gateway: TestGateway; worker: WorkerDouble }> {
  const worker = await startWorkerDouble({ secret, answer: TOKEN.repeat(options.tokens ?? LARGE_TOKENS), answerFor: shortAnswerForNormalQuestion });
  cleanups.push(() => worker.close());
  const gateway = createTestGateway({ settings: { workerSharedSecret: secret, ...options.settings }, pool: { staticUrls: [worker.url], ...options.pool } });
  cleanups.push(() => gateway.close());
  await gateway.listen();
  return { gateway, worker };
}

/** A raw HTTP client that sends one chat request and never reads the response (until `readAll`). */
async function stalledChat(gatewayUrl: string, message: string): Promise<{ socket: Socket; closed: () => boolean; readAll: () => Promise<string> }> {
  const { hostname, port } = new URL(gatewayUrl);
  const socket = connect({ host: hostname, port: Number(port) });
  cleanups.push(() => void socket.destroy());
  await new Promise<void>((resolve, reject) => socket.once('connect', resolve).once('error', reject));
  socket.on('error', () => undefined);
  let closed = false;
  socket.once('close', () => {
    closed = true;
  });
  socket.pause(); // never read: what arrives stays in the kernel's buffers
  const body = JSON.stringify({ message });
  socket.write(`POST /api/chat HTTP/1.1\r\nHost: ${hostname}\r\nContent-Type: application/json\r\nContent-Length: ${Buffer.byteLength(body)}\r\n\r\n${body}`);
  const readAll = async () => {
    const chunks: Buffer[] = [];
    socket.on('data', (chunk: Buffer) => chunks.push(chunk));
    socket.resume();
    await until(() => closed || Buffer.concat(chunks.slice(-2)).toString('latin1').endsWith('\r\n0\r\n\r\n'), 'the end of the response', STALL_DEADLINE_MS);
    return Buffer.concat(chunks).toString('utf8');
  };
  return { socket, closed: () => closed, readAll };
}

async function until(condition: () => boolean | Promise<boolean>, what: string, timeoutMs = 15_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await condition())) {
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}

async function chatEvents(gatewayUrl: string, message: string): Promise<StreamEvent[]> {
  const response = await fetch(`${gatewayUrl}/api/chat`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ message }) });
  const events: StreamEvent[] = [];
  for await (const { data } of readSse(response.body!)) events.push(data);
  return events;
}

const slotsInUse = (gateway: TestGateway) => gateway.deps.pool.snapshot().reduce((total, worker) => total + worker.active + worker.queue, 0);

describe('clients that stop reading (SSE)', { timeout: 3 * STALL_DEADLINE_MS }, () => {
  it('never hold a worker slot: with every slot taken by stalled readers, a normal chat still completes', async () => {
    const { gateway, worker } = await setup({ pool: { concurrency: 2, maxQueue: 4 } });
    const stalled = [];
    for (let index = 0; index < 4; index += 1) stalled.push(await stalledChat(gateway.url, `stalled ${index}`));
    // Every stalled turn reached the worker, and every slot came back while the clients still stall.
    await until(() => worker.calls.length === 4 && worker.calls.every((call) => call.aborted || call.finished) && slotsInUse(gateway) === 0, 'the stalled turns to give their slots back', STALL_DEADLINE_MS);
    expect(stalled.every((client) => !client.closed())).toBe(true);
    const events = await chatEvents(gateway.url, NORMAL_QUESTION);
    expect(events.at(-1)?.type).toBe('answer-end');
    expect(worker.calls).toHaveLength(5);
    // A stalled reader more than CLIENT_STREAM_BUFFER_BYTES behind was cut off, and is told so.
    const text = await stalled[0]!.readAll();
    expect(text).toContain('event: error');
    expect(text).toMatch(/"code":"cancelled","message":"the client fell more than 1048576 bytes behind/);
    expect(text).not.toContain('event: answer-end');
  });

  it('buffers what a slow client has not read, so the slot is free before the client reads the whole answer', async () => {
    const { gateway, worker } = await setup({ pool: { concurrency: 1, streamBufferBytes: 64 * 1024 * 1024 } });
    const client = await stalledChat(gateway.url, 'a slow reader');
    await until(() => worker.calls[0]?.finished === true && slotsInUse(gateway) === 0, 'the worker stream to end and its slot to come back', STALL_DEADLINE_MS);
    expect(worker.calls[0]?.aborted).toBe(false);
    const text = await client.readAll();
    expect(text).toContain('event: answer-end');
    expect(text.length).toBeGreaterThan(LARGE_TOKENS * TOKEN.length);
  });

  it('disconnects a client that leaves the stream unread past CLIENT_WRITE_TIMEOUT_MS', async () => {
    const { gateway } = await setup({ pool: { streamBufferBytes: 64 * 1024 * 1024 }, settings: { clientWriteTimeoutMs: 300 } });
    await stalledChat(gateway.url, 'a reader that went away');
    await until(async () => (await gateway.openConnections()) === 1, 'the stalled connection to be open');
    await until(async () => (await gateway.openConnections()) === 0, 'the gateway to close the stalled connection');
    expect(slotsInUse(gateway)).toBe(0);
  });
});

describe('clients that stop reading (WebSocket)', { timeout: 3 * STALL_DEADLINE_MS }, () => {
  async function openSocket(gatewayUrl: string): Promise<WebSocket> {
    const socket = new WebSocket(`${gatewayUrl.replace('http', 'ws')}/ws/chat`);
    cleanups.push(() => socket.terminate());
    socket.on('error', () => undefined);
    await new Promise<void>((resolve, reject) => socket.once('open', () => resolve()).once('error', reject));
    return socket;
  }
  const underlying = (socket: WebSocket) => (socket as unknown as { _socket: Socket })._socket;

  it('closes a socket whose send buffer stays over the high-water mark, and frees the slot', async () => {
    const { gateway, worker } = await setup({ pool: { concurrency: 1 }, settings: { clientWriteTimeoutMs: 300 } });
    const socket = await openSocket(gateway.url);
    underlying(socket).pause();
    socket.send(JSON.stringify({ type: 'chat', turnId: 't1', request: { message: 'a large answer please' } }));
    await until(() => worker.calls.length === 1, 'the turn to reach the worker');
    await until(async () => (await gateway.openConnections()) === 0, 'the gateway to close the stalled socket', STALL_DEADLINE_MS);
    await until(() => slotsInUse(gateway) === 0, 'the slot to come back', STALL_DEADLINE_MS);
  });

  it('closes a socket that does not answer pings', async () => {
    const { gateway } = await setup({ settings: { wsPingIntervalMs: 100 } });
    const answering = await openSocket(gateway.url);
    const silent = await openSocket(gateway.url);
    underlying(silent).pause(); // the ws client answers pings only when it reads them
    await until(async () => (await gateway.openConnections()) === 1, 'the silent socket to be closed');
    expect(answering.readyState).toBe(WebSocket.OPEN);
  });
});
