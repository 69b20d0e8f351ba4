import { describe, expect, it } from 'vitest';
import { ChatRequestSchema } from './chat.js';
import { StreamEventSchema } from './events.js';
import { AppError, ErrorBodySchema } from './errors.js';
import { IntentBatchRequestSchema, IntentRequestSchema } from './intent.js';
import { HeartbeatSchema, RetrieveRequestSchema } from './worker-api.js';
import { readNdjson, readNdjsonBatches, ndjsonLine } from './ndjson.js';

describe('wire schemas', () => {
  it('round-trips a full chat request', () => {
    const request = {
      message: 'Which place has the best vegan options?',
      sessionId: 's-1',
      history: [
        { role: 'user' as const, content: 'hi' },
        { role: 'assistant' as const, content: 'Hello!' },
      ],
      filters: { restaurant: 'Casa Olivo', minRating: 4, from: '2024-01-01' },
      k: 5,
    };
    expect(ChatRequestSchema.parse(JSON.parse(JSON.stringify(request)))).toEqual(request);
  });

  it('rejects empty, oversized, mistyped and unknown fields in chat requests', () => {
    expect(ChatRequestSchema.safeParse({ message: '   ' }).success).toBe(false);
    expect(ChatRequestSchema.safeParse({ message: 'x'.repeat(4001) }).success).toBe(false);
    expect(ChatRequestSchema.safeParse({ message: 42 }).success).toBe(false);
    expect(ChatRequestSchema.safeParse({ message: 'hi', history: [{ role: 'system', content: 'x' }] }).success).toBe(false);
    expect(ChatRequestSchema.safeParse({ message: 'hi', k: 0 }).success).toBe(false);
    expect(ChatRequestSchema.safeParse({ message: 'hi', admin: true }).success).toBe(false);
    expect(ChatRequestSchema.safeParse({ message: 'hi', filters: { from: 'last week' } }).success).toBe(false);
  });

  it('keeps unicode and emoji intact', () => {
    const message = 'Ist das Essen gut? 🍕 — naïve café 東京';
    expect(ChatRequestSchema.parse({ message }).message).toBe(message);
  });

  it('round-trips every stream event type', () => {
    const events = [
      { type: 'intent', name: 'restaurant_reviews', confidence: 0.93, domain: 'dining', outOfScope: false, route: 'worker' },
      { type: 'sources', items: [{ id: 'r1', score: 0.8, text: 'Great pasta', metadata: { source: 'a.csv', row: 0, rating: 4.5 } }] },
      { type: 'answer-delta', text: 'The ' },
      { type: 'answer-end', usage: { promptTokens: 10, completionTokens: 3 }, timings: { firstTokenMs: 12 } },
      { type: 'error', code: 'worker_unavailable', message: 'gone', retryable: true },
    ];
    for (const event of events) expect(StreamEventSchema.parse(JSON.parse(JSON.stringify(event)))).toEqual(event);
  });

  it('rejects unknown event types and bad routes', () => {
    expect(StreamEventSchema.safeParse({ type: 'answer-begin' }).success).toBe(false);
    expect(
      StreamEventSchema.safeParse({ type: 'intent', name: 'x', confidence: 0.5, domain: 'd', outOfScope: false, route: 'elsewhere' }).success,
    ).toBe(false);
    expect(StreamEventSchema.safeParse({ type: 'sources', items: [{ id: 'r', score: 1, text: 't', metadata: { row: 0 } }] }).success).toBe(false);
  });

  it('validates intent requests and batch limits', () => {
    expect(IntentRequestSchema.safeParse({ text: '' }).success).toBe(false);
    expect(IntentRequestSchema.safeParse({ text: 7 }).success).toBe(false);
    expect(IntentRequestSchema.safeParse({ text: 'x'.repeat(1001) }).success).toBe(false);
    expect(IntentBatchRequestSchema.safeParse({ texts: Array(100).fill('hi') }).success).toBe(true);
    expect(IntentBatchRequestSchema.safeParse({ texts: Array(101).fill('hi') }).success).toBe(false);
  });

  it('validates retrieve requests and heartbeats', () => {
    expect(RetrieveRequestSchema.parse({ query: 'pizza', k: 3, filter: { minRating: 4 } }).k).toBe(3);
    expect(RetrieveRequestSchema.safeParse({ query: 'pizza', collection: 'a' }).success).toBe(false);
    const heartbeat = {
      workerId: 'w1',
      url: 'https://abc.ngrok.app',
      backend: 'offline',
      state: 'ready',
      models: [{ name: 'offline-hash', role: 'embed', state: 'builtin' }],
      queueDepth: 0,
      active: 0,
      capacity: 2,
      version: '0.1.0',
      intervalSeconds: 5,
    };
    expect(HeartbeatSchema.parse(heartbeat)).toEqual(heartbeat);
    expect(HeartbeatSchema.safeParse({ ...heartbeat, url: 'not a url' }).success).toBe(false);
  });

  it('renders typed errors in the shared body shape', () => {
    const error = new AppError('worker_busy', 'all workers are busy');
    expect(error.status).toBe(503);
    expect(error.isRetryable).toBe(true);
    const body = error.toBody('req-1');
    expect(ErrorBodySchema.parse(body)).toEqual({ error: { code: 'worker_busy', message: 'all workers are busy', requestId: 'req-1' } });
  });
});

describe('readNdjson', () => {
  async function collect(chunks: string[]): Promise<unknown[]> {
    const encoder = new TextEncoder();
    async function* source() {
      for (const chunk of chunks) yield encoder.encode(chunk);
    }
    const values: unknown[] = [];
    for await (const value of readNdjson(source())) values.push(value);
    return values;
  }

  async function collectBytes(chunks: Uint8Array[]): Promise<unknown[]> {
    async function* source() {
      yield* chunks;
    }
    const values: unknown[] = [];
    for await (const value of readNdjson(source())) values.push(value);
    return values;
  }

  it('joins lines split across chunks and splits chunks holding many lines', async () => {
    expect(await collect(['{"a":', '1}\n\n{"b"', ':2}'])).toEqual([{ a: 1 }, { b: 2 }]);
  });

  it('keeps multi-byte characters whole when a chunk boundary falls inside them (raw byte slices)', async () => {
    const values = [{ a: 1 }, { b: 'é🍕 東京' }, { c: 3 }];
    const bytes = new TextEncoder().encode(values.map((value) => ndjsonLine(value)).join(''));
    const pizza = new TextEncoder().encode('🍕');
    const pizzaAt = bytes.findIndex((_byte, index) => pizza.every((value, offset) => bytes[index + offset] === value));
    // every cut inside the 4-byte emoji, then every other cut, then one byte per chunk
    for (const cut of [pizzaAt + 1, pizzaAt + 2, pizzaAt + 3, ...bytes.keys()]) {
      expect(await collectBytes([bytes.subarray(0, cut), bytes.subarray(cut)])).toEqual(values);
    }
    expect(await collectBytes([...bytes].map((byte) => Uint8Array.of(byte)))).toEqual(values);
  });

  it('throws a SyntaxError naming a malformed line', async () => {
    await expect(collect(['{"a":1}\n', 'oops\n'])).rejects.toThrow(/malformed NDJSON line: oops/);
  });
});

describe('readNdjsonBatches', () => {
  async function* source(chunks: string[]) {
    for (const chunk of chunks) yield new TextEncoder().encode(chunk);
  }

  it('yields the complete lines of each chunk together, a line split across chunks with the chunk that ends it', async () => {
    const batches: unknown[][] = [];
    for await (const batch of readNdjsonBatches(source(['{"a":1}\n\n{"b":2}\n{"c"', ':3}\n{"d":4}', '\n', '{"e":5}']))) batches.push(batch);
    expect(batches).toEqual([[{ a: 1 }, { b: 2 }], [{ c: 3 }], [{ d: 4 }], [{ e: 5 }]]);
  });

  it('yields the values before a malformed line of the same chunk, then throws', async () => {
    const batches: unknown[][] = [];
    const reading = (async () => {
      for await (const batch of readNdjsonBatches(source(['{"a":1}\n{"b":2}\noops\n{"c":3}\n']))) batches.push(batch);
    })();
    await expect(reading).rejects.toThrow(/malformed NDJSON line: oops/);
    expect(batches).toEqual([[{ a: 1 }, { b: 2 }]]);
  });
});
