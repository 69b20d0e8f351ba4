import { pino } from 'pino';
import { describe, expect, it } from 'vitest';
import type { InteractionRecord } from '../logs/interaction-record.js';
import type { LogPage, LogStore } from '../logs/log-store.js';
import { GatewayMetrics } from '../metrics.js';
import { InteractionRecorder } from './turn-recorder.js';

/** Records the order of appends and closes, as a shutdown would see them. */
class OrderedLogStore implements LogStore {
  readonly provider = 'ordered';
  readonly calls: string[] = [];
  readonly records: InteractionRecord[] = [];
  async append(record: InteractionRecord): Promise<void> {
    this.calls.push(this.calls.includes('close') ? 'append-after-close' : 'append');
    this.records.push(record);
  }
  async query(): Promise<LogPage> {
    return { records: [], nextCursor: null };
  }
  async recent(): Promise<InteractionRecord[]> {
    return [];
  }
  async close(): Promise<void> {
    this.calls.push('close');
  }
}

function start(recorder: InteractionRecorder, sessionId: string | undefined) {
  return recorder.start({
    requestId: 'turn-1',
    sessionId,
    channel: 'sse',
    message: 'Where is the best pasta?',
    prediction: { intent: { name: 'restaurant_reviews', confidence: 0.9 }, domain: 'dining', outOfScope: false, ranking: [] },
    route: 'worker',
    logger: pino({ level: 'silent' }),
  });
}

describe('InteractionRecorder', () => {
  const metrics = () => new GatewayMetrics({ listWorkers: () => [] });

  it('hands the record to the log store before a close() that follows the turn at once', async () => {
    const store = new OrderedLogStore();
    const recording = start(new InteractionRecorder({ logStore: store, metrics: metrics(), logMessages: false }), 's-1');
    recording.finish({ kind: 'ok' });
    await store.close();
    expect(store.calls).toEqual(['append', 'close']);
  });

  it('stores a hash of the session id and no message text unless LOG_MESSAGES is on', () => {
    const quiet = new OrderedLogStore();
    const record = start(new InteractionRecorder({ logStore: quiet, metrics: metrics(), logMessages: false }), 'my-session-id').finish({ kind: 'ok' });
    expect(record.sessionId).toMatch(/^[0-9a-f]{32}$/);
    expect(record.message).toBeUndefined();
    expect(JSON.stringify(quiet.records)).not.toContain('my-session-id');
    expect(JSON.stringify(quiet.records)).not.toContain('pasta');

    const verbose = new OrderedLogStore();
    const kept = start(new InteractionRecorder({ logStore: verbose, metrics: metrics(), logMessages: true }), 'my-session-id').finish({ kind: 'ok' });
    expect(kept.message).toBe('Where is the best pasta?');
    expect(kept.sessionId).toBe(record.sessionId); // one session, one hash, on every gateway
    expect(start(new InteractionRecorder({ logStore: verbose, metrics: metrics(), logMessages: true }), undefined).finish({ kind: 'ok' }).sessionId).toBe('anonymous');
  });
});
