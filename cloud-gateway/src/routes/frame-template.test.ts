import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { stringFieldFrame, stringFieldsFrame } from './frame-template.js';

const text = fc.oneof(fc.string(), fc.string({ unit: 'binary' }), fc.constantFrom('', '"', '\\', '\n\u2028', '\ud800', '\u0000slot-a\u0000', '"\u0000slot-b\u0000"'));

describe('frame templates', () => {
  it('frame one string field exactly as serialising the whole object (property)', () => {
    const render = (content: string) => `data: ${JSON.stringify({ id: 'chatcmpl-1', created: 1, choices: [{ index: 0, delta: { content }, finish_reason: null }], usage: null })}\n\n`;
    const frame = stringFieldFrame(render);
    expect(frame).not.toBe(render);
    fc.assert(fc.property(text, (value) => {
        expect(frame(value)).toBe(render(value));
      }), { numRuns: 500 });
  });

  it('frame two string fields exactly as serialising the whole object (property)', () => {
    const render = (createdAt: string, content: string) => `${JSON.stringify({ model: 'm', created_at: createdAt, message: { role: 'assistant', content }, done: false })}\n`;
    const frame = stringFieldsFrame(render);
    expect(frame).not.toBe(render);
    fc.assert(fc.property(text, text, (first, second) => {
        expect(frame(first, second)).toBe(render(first, second));
      }), { numRuns: 500 });
  });

  it('fall back to the render itself when a field does not appear exactly once', () => {
    const ignores = (value: string) => `${JSON.stringify({ fixed: true, length: value.length })}\n`;
    const twice = (value: string) => `${JSON.stringify({ a: value, b: value })}\n`;
    expect(stringFieldFrame(ignores)).toBe(ignores);
    expect(stringFieldFrame(twice)).toBe(twice);
    const swapped = (first: string, second: string) => JSON.stringify({ second, first });
    expect(stringFieldsFrame(swapped)).toBe(swapped);
  });
});
