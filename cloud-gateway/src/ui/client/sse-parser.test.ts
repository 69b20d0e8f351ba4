import { describe, expect, it } from 'vitest';
import { ServerSentEventParser, readServerSentEvents } from './sse-parser.js';

describe('ServerSentEventParser', () => {
  it('returns events as soon as their blank line arrives, across arbitrary chunk splits', () => {
    const wire = 'event: answer-delta\ndata: {"type":"answer-delta","text":"Hi"}\n\ndata: {"a":1}\r\n\r\n';
    const parser = new ServerSentEventParser();
    const seen = [];
    for (const char of wire) seen.push(...parser.push(char));
    expect(seen).toEqual([
      { event: 'answer-delta', data: '{"type":"answer-delta","text":"Hi"}' },
      { event: 'message', data: '{"a":1}' },
    ]);
  });

  it('joins multi-line data, skips comments and keeps the last id', () => {
    const parser = new ServerSentEventParser();
    expect(parser.push(': keep-alive\nid: 7\ndata: one\ndata:two\n\n')).toEqual([{ event: 'message', data: 'one\ntwo', id: '7' }]);
  });

  it('dispatches a final event that lacks the closing blank line at end of stream', () => {
    const parser = new ServerSentEventParser();
    expect(parser.push('data: tail')).toEqual([]);
    expect(parser.end()).toEqual([{ event: 'message', data: 'tail' }]);
  });

  it('does not emit events without data', () => {
    const parser = new ServerSentEventParser();
    expect(parser.push('event: ping\n\n')).toEqual([]);
  });
});

function bodyOf(chunks: Uint8Array[], onCancel: () => void = () => undefined): ReadableStream<Uint8Array> {
  return new ReadableStream<Uint8Array>({
    start(controller) {
      for (const chunk of chunks) controller.enqueue(chunk);
    },
    cancel: onCancel,
  });
}

describe('readServerSentEvents', () => {
  it('decodes bytes split inside a UTF-8 character and dispatches a last event that lacks its blank line', async () => {
    const bytes = new TextEncoder().encode('event: answer-delta\ndata: {"text":"café"}\n\ndata: tail');
    const split = bytes.indexOf(0xc3) + 1;
    const body = new ReadableStream<Uint8Array>({
      start(controller) {
        controller.enqueue(bytes.slice(0, split));
        controller.enqueue(bytes.slice(split));
        controller.close();
      },
    });
    const seen = [];
    for await (const message of readServerSentEvents(body)) seen.push(message);
    expect(seen).toEqual([
      { event: 'answer-delta', data: '{"text":"café"}' },
      { event: 'message', data: 'tail' },
    ]);
  });

  it('cancels the body when the reader stops early', async () => {
    let cancelled = false;
    const body = bodyOf([new TextEncoder().encode('data: 1\n\ndata: 2\n\n')], () => {
      cancelled = true;
    });
    for await (const message of readServerSentEvents(body)) {
      expect(message.data).toBe('1');
      break;
    }
    expect(cancelled).toBe(true);
  });
});
