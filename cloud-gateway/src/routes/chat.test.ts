import { afterEach, describe, expect, it } from 'vitest';
import type WebSocket from 'ws';
import type { StreamEvent, WsServerMessage } from '@review-assistant/shared';
import { createTestGateway, keywordIntentService, openChatSocket, readSse, type TestGateway } from '../testing/gateway-harness.js';
import { startWorkerDouble, type WorkerDouble, type WorkerDoubleOptions } from '../testing/worker-double.js';
import { hashSessionId } from '../logs/interaction-record.js';
import { IntentRoutingPolicy } from '../routing/intent-routing-policy.js';

const secret = 'chat-test-secret-0123456789';
const cleanups: (() => Promise<void>)[] = [];
afterEach(async () => {
  await Promise.all(cleanups.splice(0).map((cleanup) => cleanup()));
});

async function setup(workerOptions?: WorkerDoubleOptions, intentReady = true): Promise<{ gateway: TestGateway; worker: WorkerDouble | undefined }> {
  const worker = workerOptions ? await startWorkerDouble({ secret, ...workerOptions }) : undefined;
  if (worker) cleanups.push(() => worker.close());
  const gateway = createTestGateway({
    settings: { workerSharedSecret: secret },
    pool: { staticUrls: worker ? [worker.url] : [], idleTimeoutMs: 1500 },
    intentReady,
  });
  cleanups.push(() => gateway.close());
  await gateway.listen();
  return { gateway, worker };
}

function chat(url: string, message: string, init: { signal?: AbortSignal; requestId?: string } = {}) {
  return fetch(`${url}/api/chat`, {
    method: 'POST',
    body: JSON.stringify({ message, sessionId: 'session-1' }),
    headers: { 'content-type': 'application/json', ...(init.requestId ? { 'x-request-id': init.requestId } : {}) },
    ...(init.signal ? { signal: init.signal } : {}),
  });
}

async function allEvents(response: Response): Promise<StreamEvent[]> {
  const events: StreamEvent[] = [];
  for await (const { event, data } of readSse(response.body!)) {
    expect(event).toBe(data.type);
    events.push(data);
  }
  return events;
}

async function until(condition: () => boolean, what: string, timeoutMs = 5000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!condition()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 5));
  }
}

describe('POST /api/chat (SSE)', () => {
  it('sheds a worker turn with 503 worker_busy and Retry-After when the pool is full, before any stream opens; small talk is still answered', async () => {
    let release!: () => void;
    const held = new Promise<void>((resolve) => (release = resolve));
    const worker = await startWorkerDouble({ secret, beforeEvent: (index) => (index === 0 ? held : undefined) });
    cleanups.push(() => worker.close());
    // counts predictions: a turn checked for shedding must not be predicted a second time
    const keywords = keywordIntentService();
    const classifier = keywords.current()!;
    let predictions = 0;
    const intent = Object.assign(keywords, {
      current: () => ({ info: classifier.info, predict: (text: string) => (predictions++, classifier.predict(text)) }),
    });
    const gateway = createTestGateway({ settings: { workerSharedSecret: secret }, pool: { staticUrls: [worker.url], concurrency: 1, maxQueue: 0 }, intent });
    cleanups.push(() => gateway.close());
    await gateway.listen();

    const first = await chat(gateway.url, 'Which restaurant has the best pasta?');
    await until(() => worker.calls.some((call) => call.path === '/v1/chat'), 'the first turn to reach the worker');
    const shed = await chat(gateway.url, 'Is the tiramisu any good?');
    expect(shed.status).toBe(503);
    expect(shed.headers.get('retry-after')).toBe('2');
    expect(shed.headers.get('content-type')).toContain('application/json');
    expect(((await shed.json()) as { error: { code: string } }).error.code).toBe('worker_busy');
    expect(worker.calls.filter((call) => call.path === '/v1/chat')).toHaveLength(1);

    predictions = 0;
    const smallTalk = await chat(gateway.url, 'hello there');
    expect(smallTalk.status).toBe(200);
    expect((await allEvents(smallTalk)).at(-1)?.type).toBe('answer-end');
    expect(predictions).toBe(1);

    release();
    expect((await allEvents(first)).at(-1)?.type).toBe('answer-end');
    const again = await chat(gateway.url, 'Is the tiramisu any good?');
    expect(again.status).toBe(200);
    expect((await allEvents(again)).at(-1)?.type).toBe('answer-end');
  });

  it('streams intent first, then the worker\'s events, forwarding the request id and logging the turn', async () => {
    const { gateway, worker } = await setup({ answer: 'Try the pasta. It is great.' });
    const response = await chat(gateway.url, 'Where is the best pasta?', { requestId: 'turn-1' });
    expect(response.headers.get('content-type')).toMatch(/text\/event-stream/);
    expect(response.headers.get('x-request-id')).toBe('turn-1');
    const events = await allEvents(response);
    expect(events[0]).toEqual({ type: 'intent', name: 'restaurant_reviews', confidence: 0.88, domain: 'dining', outOfScope: false, route: 'worker' });
    expect(events.map((event) => event.type)).toEqual(['intent', 'sources', ...Array<string>(6).fill('answer-delta'), 'answer-end']);
    const answer = events.flatMap((event) => (event.type === 'answer-delta' ? [event.text] : [])).join('');
    expect(answer).toBe('Try the pasta. It is great.');
    expect(worker!.calls[0]).toMatchObject({ path: '/v1/chat', signed: true, requestId: 'turn-1', intent: 'restaurant_reviews', body: { message: 'Where is the best pasta?', sessionId: 'session-1' } });
    await until(() => gateway.deps.logStore.records.length === 1, 'the interaction record');
    expect(gateway.deps.logStore.records[0]).toMatchObject({
      requestId: 'turn-1',
      sessionId: hashSessionId('session-1'),
      route: 'worker',
      workerId: 'static-1',
      status: 'ok',
      answerChars: answer.length,
      sources: 2,
      backend: 'offline',
      intent: { name: 'restaurant_reviews' },
    });
    expect(gateway.deps.logStore.records[0]?.timeToFirstTokenMs).not.toBeNull();
    expect(JSON.stringify(gateway.deps.logStore.records[0])).not.toContain('session-1');
  });

  it('over real HTTP, keeps the security headers and rejects bad bodies with 4xx JSON errors (malformed, wrong type, unicode, too large)', async () => {
    const { gateway } = await setup({ answer: 'ok ' });
    const post = (body: string, type = 'application/json') =>
      fetch(`${gateway.url}/api/chat`, { method: 'POST', body, headers: { 'content-type': type } });
    const ok = await post(JSON.stringify({ message: 'Où manger des pâtes 🍝 ?' }));
    expect(ok.status).toBe(200);
    expect(ok.headers.get('content-security-policy')).toContain("script-src 'self'");
    expect(ok.headers.get('x-content-type-options')).toBe('nosniff');
    expect((await allEvents(ok)).at(-1)?.type).toBe('answer-end');
    const malformed = await post('{"message": "unterminated');
    expect(malformed.status).toBe(400);
    expect(((await malformed.json()) as { error: { code: string } }).error.code).toBe('invalid_json');
    const wrongType = await post(JSON.stringify({ message: 42 }));
    expect(wrongType.status).toBe(400);
    expect(((await wrongType.json()) as { error: { code: string; message: string } }).error).toMatchObject({ code: 'validation_failed', message: expect.stringContaining('message') });
    const notJson = await post('message=hi', 'application/x-www-form-urlencoded');
    expect(notJson.status).toBe(415);
    const tooLarge = await post(JSON.stringify({ message: 'x'.repeat(2 * 1024 * 1024) }));
    expect(tooLarge.status).toBe(413);
    expect(((await tooLarge.json()) as { error: { code: string } }).error.code).toBe('payload_too_large');
    // The gateway is still fine afterwards.
    expect((await allEvents(await post(JSON.stringify({ message: 'pasta?' })))).at(-1)?.type).toBe('answer-end');
  });

  it('answers small talk and declines off-topic requests in the gateway without calling a worker', async () => {
    const { gateway, worker } = await setup({});
    const hello = await allEvents(await chat(gateway.url, 'hello!'));
    expect(hello.map((event) => event.type)).toEqual(['intent', 'answer-delta', 'answer-end']);
    expect(hello[0]).toMatchObject({ route: 'smalltalk', name: 'greeting' });
    expect(hello[1]).toEqual({ type: 'answer-delta', text: 'Hi there! Ask me about restaurant reviews.' });
    expect(hello[2]).toMatchObject({ backend: 'gateway' });
    const bank = await allEvents(await chat(gateway.url, 'transfer money from my bank'));
    expect(bank[0]).toMatchObject({ route: 'decline', domain: 'banking' });
    expect(bank[1]).toEqual({ type: 'answer-delta', text: 'I only know about restaurant reviews.' });
    expect(worker!.calls).toHaveLength(0);
  });

  it('answers at once with a retryable no_worker error when no worker is up, while small talk keeps working', async () => {
    const { gateway } = await setup();
    const events = await allEvents(await chat(gateway.url, 'Which place has good tiramisu?'));
    expect(events.map((event) => event.type)).toEqual(['intent', 'error']);
    expect(events[1]).toMatchObject({ code: 'no_worker', retryable: true, message: expect.stringMatching(/no worker/) });
    const hello = await allEvents(await chat(gateway.url, 'hey'));
    expect(hello.at(-1)).toMatchObject({ type: 'answer-end', backend: 'gateway' });
  });

  it('sends every turn to a worker as low confidence while the intent model is not loaded', async () => {
    const { gateway, worker } = await setup({}, false);
    const events = await allEvents(await chat(gateway.url, 'hello'));
    expect(events[0]).toMatchObject({ name: 'unknown', confidence: 0, route: 'worker' });
    expect(events.at(-1)?.type).toBe('answer-end');
    expect(worker!.calls).toHaveLength(1);
  });

  it('relays each event as it arrives: the client sees the sources before the worker sends the next event', async () => {
    let clientSawSources = false;
    const { gateway, worker } = await setup({
      beforeEvent: async (index) => {
        // The worker refuses to continue until the browser-side client has the first event.
        if (index === 1) await until(() => clientSawSources, 'the client to receive the first event');
      },
    });
    const events: StreamEvent[] = [];
    for await (const { data } of readSse((await chat(gateway.url, 'best pasta?')).body!)) {
      events.push(data);
      if (data.type === 'sources') {
        expect(worker!.calls[0]?.eventsSent).toBe(1);
        clientSawSources = true;
      }
    }
    expect(events.at(-1)?.type).toBe('answer-end');
  });

  it('turns a worker that dies mid-stream into a worker_stream_broken event and closes the stream within 2 s', async () => {
    const { gateway } = await setup({ fault: 'die-mid-stream', dieAfterEvents: 3, tokenDelayMs: 5 });
    const response = await chat(gateway.url, 'best pasta?');
    const events: StreamEvent[] = [];
    let lastEventAt = 0;
    let brokenAt = 0;
    for await (const { data } of readSse(response.body!)) {
      events.push(data);
      if (data.type === 'error') brokenAt = performance.now();
      else lastEventAt = performance.now();
    }
    const closedAt = performance.now();
    expect(events.map((event) => event.type)).toEqual(['intent', 'sources', 'answer-delta', 'answer-delta', 'error']);
    expect(events.at(-1)).toMatchObject({ code: 'worker_stream_broken', retryable: true });
    expect(brokenAt - lastEventAt).toBeLessThan(2000);
    expect(closedAt - lastEventAt).toBeLessThan(2000);
    await until(() => gateway.deps.logStore.records.length === 1, 'the record');
    expect(gateway.deps.logStore.records[0]?.status).toBe('error:worker_stream_broken');
  });

  it('aborts the worker request when the client disconnects', async () => {
    const { gateway, worker } = await setup({ tokenDelayMs: 200, answer: 'one two three four five six seven eight nine ten' });
    const controller = new AbortController();
    const response = await chat(gateway.url, 'best pasta?', { signal: controller.signal });
    const reader = readSse(response.body!);
    for await (const { data } of reader) {
      if (data.type === 'answer-delta') break;
    }
    controller.abort();
    const call = await worker!.waitFor((candidate) => candidate.aborted);
    expect(call.finished).toBe(false);
    await until(() => gateway.deps.logStore.records.length === 1, 'the record');
    expect(gateway.deps.logStore.records[0]?.status).toBe('cancelled');
    await until(() => gateway.deps.pool.snapshot()[0]?.active === 0, 'the worker slot to be released');
  });

  it('discovers a worker from its first signed heartbeat and sends it the next question', async () => {
    const { gateway } = await setup();
    const worker = await startWorkerDouble({ secret });
    cleanups.push(() => worker.close());
    const before = await allEvents(await chat(gateway.url, 'best pasta?'));
    expect(before.at(-1)).toMatchObject({ code: 'no_worker' });
    const registered = await worker.sendHeartbeat(gateway.url, { intervalSeconds: 5 });
    expect(registered.status).toBe(200);
    const status = (await (await fetch(`${gateway.url}/api/status`)).json()) as { workers: string };
    expect(status.workers).toBe('online');
    const after = await allEvents(await chat(gateway.url, 'best pasta?'));
    expect(after.at(-1)?.type).toBe('answer-end');
    expect(worker.calls.filter((call) => call.path === '/v1/chat')).toHaveLength(1);
    await worker.sendHeartbeat(gateway.url, { goodbye: true });
    const gone = await allEvents(await chat(gateway.url, 'best pasta?'));
    expect(gone.at(-1)).toMatchObject({ code: 'no_worker' });
  });

  it('still answers when the interaction log fails', async () => {
    const { gateway } = await setup({});
    gateway.deps.logStore.failing = true;
    const events = await allEvents(await chat(gateway.url, 'best pasta?'));
    expect(events.at(-1)?.type).toBe('answer-end');
  });
});

describe('WS /ws/chat', () => {
  async function connect(url: string): Promise<{ socket: WebSocket; messages: WsServerMessage[] }> {
    const opened = await openChatSocket(url);
    cleanups.push(async () => opened.socket.close());
    return opened;
  }

  it('streams the same events as SSE, tagged with the turn id', async () => {
    const { gateway } = await setup({});
    const { socket, messages } = await connect(gateway.url);
    socket.send(JSON.stringify({ type: 'chat', turnId: 't1', request: { message: 'best pasta?' } }));
    await until(() => messages.some((message) => message.event.type === 'answer-end'), 'the answer end');
    expect(messages.every((message) => message.turnId === 't1')).toBe(true);
    expect(messages[0]?.event).toMatchObject({ type: 'intent', route: 'worker' });
    expect(messages.map((message) => message.event.type)).toContain('sources');
    socket.send(JSON.stringify({ type: 'chat', turnId: 't2', request: { message: 'hi' } }));
    await until(() => messages.some((message) => message.turnId === 't2' && message.event.type === 'answer-end'), 'the second turn');
  });

  it('closes the socket with 1009 when a frame exceeds 256 KiB', async () => {
    const { gateway } = await setup();
    const { socket } = await connect(gateway.url);
    const closed = new Promise<number>((resolve) => socket.once('close', (code) => resolve(code)));
    socket.send('x'.repeat(300 * 1024));
    expect(await closed).toBe(1009);
  });

  it('cancels a running turn end to end and rejects invalid messages with an error event', async () => {
    const { gateway, worker } = await setup({ tokenDelayMs: 200, answer: 'one two three four five six seven eight' });
    const { socket, messages } = await connect(gateway.url);
    socket.send(JSON.stringify({ type: 'chat', turnId: 'long', request: { message: 'best pasta?' } }));
    await until(() => messages.some((message) => message.event.type === 'answer-delta'), 'the first token');
    socket.send(JSON.stringify({ type: 'chat', turnId: 'overlap', request: { message: 'more?' } }));
    await until(() => messages.some((message) => message.turnId === 'overlap'), 'the overlap refusal');
    expect(messages.find((message) => message.turnId === 'overlap')?.event).toMatchObject({ type: 'error', code: 'bad_request' });
    socket.send(JSON.stringify({ type: 'cancel', turnId: 'long' }));
    await worker!.waitFor((call) => call.aborted);
    expect(messages.some((message) => message.turnId === 'long' && message.event.type === 'answer-end')).toBe(false);
    socket.send('{not json');
    socket.send(JSON.stringify({ type: 'chat', turnId: 'bad', request: { message: '' } }));
    await until(() => messages.filter((message) => message.event.type === 'error').length >= 3, 'the two error events');
    const errors = messages.filter((message) => message.event.type === 'error').map((message) => message.event);
    expect(errors).toEqual(
      expect.arrayContaining([
        expect.objectContaining({ code: 'invalid_json' }),
        expect.objectContaining({ code: 'validation_failed', message: expect.stringMatching(/message/) }),
      ]),
    );
    // the socket still works after bad input and a cancel
    socket.send(JSON.stringify({ type: 'chat', turnId: 'after', request: { message: 'hello' } }));
    await until(() => messages.some((message) => message.turnId === 'after' && message.event.type === 'answer-end'), 'a turn after cancel');
  });
});

describe('POST /api/chat routing in context', () => {
  /** Always the prediction the shipped model gave "What time does it close?": the `time` intent, utility. */
  const clockService = {
    ready: true,
    status: () => ({ ready: true, version: 'clock-1', message: null }),
    current: () => ({
      info: { version: 'clock-1', createdAt: '2026-01-01T00:00:00Z', algorithm: 'fixed', labels: 2, valMetrics: {} },
      predict: () => ({ intent: { name: 'time', confidence: 0.93 }, domain: 'utility', outOfScope: false, ranking: [{ name: 'time', confidence: 0.93 }] }),
    }),
  };

  it('declines "what time does it close?" alone, and sends it with its review conversation to a worker', async () => {
    const worker = await startWorkerDouble({ secret, answer: 'Reviewers say it closes at 11 pm [r1].' });
    cleanups.push(() => worker.close());
    const gateway = createTestGateway({ settings: { workerSharedSecret: secret }, pool: { staticUrls: [worker.url] }, intent: clockService, policy: new IntentRoutingPolicy() });
    cleanups.push(() => gateway.close());
    await gateway.listen();
    const ask = (history?: Array<{ role: 'user' | 'assistant'; content: string }>) =>
      fetch(`${gateway.url}/api/chat`, { method: 'POST', body: JSON.stringify({ message: 'What time does it close?', ...(history ? { history } : {}) }), headers: { 'content-type': 'application/json' } });

    const alone = await allEvents(await ask());
    expect(alone[0]).toMatchObject({ type: 'intent', name: 'time', route: 'decline' });
    expect(worker.calls.some((call) => call.path === '/v1/chat')).toBe(false);

    const history = [
      { role: 'user' as const, content: 'What do reviewers say about Trattoria Roma?' },
      { role: 'assistant' as const, content: 'They praise the pasta and the friendly staff.' },
    ];
    const inContext = await allEvents(await ask(history));
    expect(inContext[0]).toMatchObject({ type: 'intent', name: 'time', route: 'worker' });
    expect(inContext.some((event) => event.type === 'answer-delta')).toBe(true);
    const call = await worker.waitFor((candidate) => candidate.path === '/v1/chat', 5000);
    expect(call.body).toMatchObject({ message: 'What time does it close?', history });
  });
});
