import { describe, expect, it } from 'vitest';
import { HistoryStore, historyForRequest, MAX_HISTORY_TURNS_SENT, type KeyValueStorage, type StoredMessage } from './history-store.js';

class MapStorage implements KeyValueStorage {
  readonly values = new Map<string, string>();
  quota = Number.POSITIVE_INFINITY;
  getItem(key: string): string | null {
    return this.values.get(key) ?? null;
  }
  setItem(key: string, value: string): void {
    if (value.length > this.quota) throw new DOMException('quota', 'QuotaExceededError');
    this.values.set(key, value);
  }
  removeItem(key: string): void {
    this.values.delete(key);
  }
}

const message = (id: string, role: 'user' | 'assistant', content: string, status: StoredMessage['status'] = 'done'): StoredMessage => ({
  id,
  role,
  content,
  status,
  createdAt: 1,
});

describe('HistoryStore', () => {
  it('round-trips a conversation and turns an interrupted stream into a stopped answer', () => {
    const storage = new MapStorage();
    const store = new HistoryStore(storage, 'k');
    store.save({ sessionId: 's1', messages: [message('1', 'user', 'hi'), message('2', 'assistant', 'par', 'streaming')] });
    const loaded = new HistoryStore(storage, 'k').load();
    expect(loaded.sessionId).toBe('s1');
    expect(loaded.messages.map((entry) => [entry.id, entry.status])).toEqual([
      ['1', 'done'],
      ['2', 'stopped'],
    ]);
  });

  it('starts fresh on corrupt or foreign data', () => {
    const storage = new MapStorage();
    storage.setItem('k', '{not json');
    const first = new HistoryStore(storage, 'k').load();
    expect(first.messages).toEqual([]);
    expect(first.sessionId).toMatch(/^[0-9a-f]{24}$/);
    storage.setItem('k', JSON.stringify({ sessionId: 's', messages: [{ id: 1 }, message('ok', 'user', 'x')] }));
    expect(new HistoryStore(storage, 'k').load().messages.map((entry) => entry.id)).toEqual(['ok']);
  });

  it('drops malformed stored sources instead of rendering them', () => {
    const storage = new MapStorage();
    const broken = { ...message('a', 'assistant', 'x'), sources: [{ id: 'r1', text: 'good', metadata: { source: 'f.csv', row: 1 } }, { id: 5 }] };
    storage.setItem('k', JSON.stringify({ sessionId: 's', messages: [broken] }));
    const sources = new HistoryStore(storage, 'k').load().messages[0]?.sources;
    expect(sources?.map((source) => source.id)).toEqual(['r1']);
  });

  it('keeps the newest messages when storage is over quota', () => {
    const storage = new MapStorage();
    storage.quota = 600;
    const messages = Array.from({ length: 20 }, (_, index) => message(String(index), index % 2 ? 'assistant' : 'user', 'x'.repeat(20)));
    new HistoryStore(storage, 'k').save({ sessionId: 's', messages });
    const kept = new HistoryStore(storage, 'k').load().messages;
    expect(kept.length).toBeGreaterThan(0);
    expect(kept.length).toBeLessThan(20);
    expect(kept.at(-1)?.id).toBe('19');
  });

  it('clears the stored conversation', () => {
    const storage = new MapStorage();
    const store = new HistoryStore(storage, 'k');
    store.save({ sessionId: 's', messages: [message('1', 'user', 'hi')] });
    store.clear();
    expect(storage.values.size).toBe(0);
  });
});

describe('historyForRequest', () => {
  it('sends finished question/answer pairs and skips failed answers', () => {
    const turns = historyForRequest([
      message('1', 'user', 'q1'),
      message('2', 'assistant', 'a1'),
      message('3', 'user', 'q2'),
      { ...message('4', 'assistant', ''), status: 'error' },
      message('5', 'user', 'q3'),
      message('6', 'assistant', 'partial', 'stopped'),
    ]);
    expect(turns).toEqual([
      { role: 'user', content: 'q1' },
      { role: 'assistant', content: 'a1' },
      { role: 'user', content: 'q3' },
      { role: 'assistant', content: 'partial' },
    ]);
  });

  it('sends at most the newest turns the gateway accepts', () => {
    const messages = Array.from({ length: 60 }, (_, index) => message(String(index), index % 2 ? 'assistant' : 'user', `m${index}`));
    const turns = historyForRequest(messages);
    expect(turns).toHaveLength(MAX_HISTORY_TURNS_SENT);
    expect(turns[0]).toEqual({ role: 'user', content: 'm40' });
    expect(turns.at(-1)).toEqual({ role: 'assistant', content: 'm59' });
  });
});
