import { createServer, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo, Socket } from 'node:net';
import { setTimeout as sleep } from 'node:timers/promises';
import fc from 'fast-check';
import { afterEach, describe, expect, it } from 'vitest';
import { NodeSseWriter, sseFrame } from './sse-writer.js';

let server: Server | undefined;
afterEach(async () => {
  await new Promise((resolve) => server?.close(resolve) ?? resolve(undefined));
  server = undefined;
});

/** Serves one SSE stream: open, stay silent for `silenceMs`, one event, end. Returns the raw body and writes after end. */
async function stream(keepAliveMs: number, silenceMs: number): Promise<{ body: string; writesAfterEnd: number }> {
  let writesAfterEnd = 0;
  server = createServer((_request, response) => {
    const writer = new NodeSseWriter(response, keepAliveMs);
    writer.open({ 'content-type': 'text/event-stream' });
    void sleep(silenceMs).then(() => {
      void writer.writeFrame(sseFrame({ type: 'answer-delta', text: 'hello' }));
      writer.end();
      const write = response.write.bind(response);
      response.write = ((...args: Parameters<typeof write>) => {
        writesAfterEnd += 1;
        return write(...args);
      }) as typeof response.write;
    });
  });
  await new Promise<void>((resolve) => server?.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  const body = await (await fetch(`http://127.0.0.1:${port}/`)).text();
  // long enough for several more keep-alive ticks, had the timer survived the end of the stream
  await sleep(Math.min(keepAliveMs * 4, 200));
  return { body, writesAfterEnd };
}

describe('sseFrame', () => {
  it('frames an answer-delta exactly as the whole event serialised (property: any text, quotes, newlines, lone surrogates)', () => {
    fc.assert(
      fc.property(fc.oneof(fc.string(), fc.string({ unit: 'binary' }), fc.constantFrom('', '"', '\\', '\n\r\u2028', '\ud800', '</script>')), (text) => {
        const event = { type: 'answer-delta' as const, text };
        expect(sseFrame(event)).toBe(`event: answer-delta\ndata: ${JSON.stringify(event)}\n\n`);
      }),
      { numRuns: 500 },
    );
  });

  it('frames other events as their JSON on one data line', () => {
    const event = { type: 'error' as const, code: 'no_worker', message: 'line one\nline two', retryable: true };
    expect(sseFrame(event)).toBe(`event: error\ndata: ${JSON.stringify(event)}\n\n`);
  });
});

describe('NodeSseWriter keep-alive', () => {
  it('sends comment lines while the stream is silent, then the event, and nothing after the end', async () => {
    const { body, writesAfterEnd } = await stream(40, 300);
    const [beforeEvent = '', afterEvent = ''] = body.split('event: answer-delta');
    expect(beforeEvent.match(/^: keep-alive$/gm)?.length ?? 0).toBeGreaterThanOrEqual(2);
    expect(afterEvent).not.toContain('keep-alive');
    expect(writesAfterEnd).toBe(0);
  });

  it('sends none while events keep flowing faster than the interval', async () => {
    const { body } = await stream(10_000, 50);
    expect(body).not.toContain('keep-alive');
    expect(body).toContain('data: {"type":"answer-delta","text":"hello"}');
  });
});

/** Counts the socket writes (syscalls) a response makes: net.Socket's `_write` and `_writev`. */
function countSocketWrites(response: ServerResponse): { count: number } {
  const counter = { count: 0 };
  const socket = response.socket as Socket & { _write: (...args: unknown[]) => void; _writev: (...args: unknown[]) => void };
  const write = socket._write.bind(socket);
  const writev = socket._writev.bind(socket);
  socket._write = (...args) => {
    counter.count += 1;
    write(...args);
  };
  socket._writev = (...args) => {
    counter.count += 1;
    writev(...args);
  };
  return counter;
}

async function listen(handler: (response: ServerResponse) => void): Promise<string> {
  server = createServer((_request, response) => handler(response));
  await new Promise<void>((resolve) => server?.listen(0, '127.0.0.1', resolve));
  return `http://127.0.0.1:${(server.address() as AddressInfo).port}/`;
}

describe('NodeSseWriter socket writes', () => {
  it('sends the headers, the events of one tick and the end of the stream in one socket write', async () => {
    let writes = { count: -1 };
    const url = await listen((response) => {
      writes = countSocketWrites(response);
      const writer = new NodeSseWriter(response);
      writer.open({ 'content-type': 'text/event-stream' });
      // The events come a few microtasks later, as from the turn's generator.
      void Promise.resolve().then(() => {
        void writer.writeFrame(sseFrame({ type: 'answer-delta', text: 'a' }));
        void writer.writeFrame(sseFrame({ type: 'answer-delta', text: 'b' }));
        void writer.writeFrame(sseFrame({ type: 'answer-end', usage: { promptTokens: 1, completionTokens: 2 }, timings: {} }));
        writer.end();
      });
    });
    const response = await fetch(url);
    const body = await response.text();
    expect(response.headers.get('content-type')).toBe('text/event-stream');
    expect(body.match(/^event: /gm)).toHaveLength(3);
    expect(body).toContain('data: {"type":"answer-delta","text":"b"}');
    expect(writes.count).toBe(1);
  });

  it('sends the headers alone when the first event is slow, so the client sees the stream open', async () => {
    let release: () => void = () => undefined;
    const firstEventSent = new Promise<void>((resolve) => (release = resolve));
    const url = await listen((response) => {
      const writer = new NodeSseWriter(response);
      writer.open({ 'content-type': 'text/event-stream' });
      void firstEventSent.then(() => {
        void writer.writeFrame(sseFrame({ type: 'answer-delta', text: 'late' }));
        writer.end();
      });
    });
    // The server sends its first event only once the client has the headers (or after 5 s).
    const timer = setTimeout(release, 5000);
    const opened = await Promise.race([fetch(url).then(() => 'opened' as const), sleep(2000).then(() => 'no headers' as const)]);
    release();
    clearTimeout(timer);
    expect(opened).toBe('opened');
  });
});
