import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { setTimeout as sleep } from 'node:timers/promises';
import { afterEach, describe, expect, it } from 'vitest';
import { NodeSseWriter } from './sse-writer.js';

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
      void writer.write({ type: 'answer-delta', text: 'hello' });
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
