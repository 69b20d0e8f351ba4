import { describe, expect, it } from 'vitest';
import { StreamEventSchema, ndjsonLine, type StreamEvent } from '@review-assistant/shared';
import { WorkerCallError } from './worker-call-error.js';
import { parseStreamEvent, readStreamEventBatches } from './worker-stream.js';

async function* body(chunks: string[]) {
  for (const chunk of chunks) yield new TextEncoder().encode(chunk);
}

describe('parseStreamEvent', () => {
  it('takes an answer-delta of exactly type and text as it is, and everything else as the schema returns it', () => {
    const delta = { type: 'answer-delta', text: 'pasta ' };
    expect(parseStreamEvent(delta)).toBe(delta);
    const extra = { type: 'answer-delta', text: 'pasta ', debug: true };
    expect(parseStreamEvent(extra)).toEqual(StreamEventSchema.parse(extra));
    expect(parseStreamEvent(extra)).toEqual({ type: 'answer-delta', text: 'pasta ' });
    const end = { type: 'answer-end', usage: { promptTokens: 1, completionTokens: 2 }, timings: { totalMs: 3 } };
    expect(parseStreamEvent(end)).toEqual(StreamEventSchema.parse(end));
  });

  it('refuses what is not an event, the answer-delta shape included', () => {
    for (const value of [{ type: 'answer-delta', text: 5 }, { type: 'answer-delta' }, { type: 'nope' }, 'answer-delta', null, [], JSON.parse('{"type":"answer-delta","text":"x","__proto__":{"text":1}}')]) {
      const parsed = parseStreamEvent(value);
      expect(StreamEventSchema.safeParse(value).success).toBe(typeof parsed !== 'string');
    }
    expect(typeof parseStreamEvent({ type: 'answer-delta', text: 5 })).toBe('string');
  });
});

describe('readStreamEventBatches', () => {
  it('yields the valid events before an invalid one, then fails with worker_stream_broken', async () => {
    const events: StreamEvent[][] = [];
    const chunk = [ndjsonLine({ type: 'answer-delta', text: 'a' }), ndjsonLine({ type: 'answer-delta', text: 'b' }), ndjsonLine({ type: 'answer-delta', text: 7 })].join('');
    const reading = (async () => {
      for await (const batch of readStreamEventBatches(body([chunk]))) events.push(batch);
    })();
    const failure = await reading.then(
      () => undefined,
      (error: unknown) => error,
    );
    expect(failure).toBeInstanceOf(WorkerCallError);
    expect((failure as WorkerCallError).code).toBe('worker_stream_broken');
    expect(events).toEqual([[{ type: 'answer-delta', text: 'a' }, { type: 'answer-delta', text: 'b' }]]);
  });
});
