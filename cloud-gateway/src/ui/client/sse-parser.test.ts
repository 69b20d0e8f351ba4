import { describe, expect, it } from 'vitest';
import { ServerSentEventParser } from './sse-parser.js';

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
