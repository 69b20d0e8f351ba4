import { describe, expect, it } from 'vitest';
import { createPrefixedPrinter, formatLogLine } from './log-lines.js';
import { chromaPrinter } from './orchestrator.js';

describe('formatLogLine', () => {
  it('turns a pino JSON line into level, message and the remaining fields', () => {
    const line = JSON.stringify({ level: 40, time: 1, pid: 2, hostname: 'h', msg: 'slow request', route: '/v1/chat', ms: 120 });
    expect(formatLogLine(line)).toMatch(/WARN.* slow request route=\/v1\/chat ms=120$/);
  });

  it('passes through plain text and JSON that is not a log record', () => {
    expect(formatLogLine('plain words')).toBe('plain words');
    expect(formatLogLine('{"not":"a log"}')).toBe('{"not":"a log"}');
    expect(formatLogLine('{broken')).toBe('{broken');
  });
});

describe('createPrefixedPrinter', () => {
  it('writes one prefixed line per call', () => {
    const written: string[] = [];
    const print = createPrefixedPrinter('worker', 'magenta', (text) => written.push(text));
    print('hello');
    expect(written).toHaveLength(1);
    expect(written[0]).toMatch(/\[worker\].* hello\n$/);
  });
});

describe('chromaPrinter', () => {
  it("drops Chroma's logo and source locations but keeps its messages", () => {
    const kept: string[] = [];
    const print = chromaPrinter((line) => kept.push(line));
    for (const line of ['        (((((((((    (((((####', 'Saving data to: /tmp/x', '    at rust/frontend/src/server.rs:416', '  INFO  Frontend server listening']) print(line);
    expect(kept).toEqual(['Saving data to: /tmp/x', '  INFO  Frontend server listening']);
  });
});
