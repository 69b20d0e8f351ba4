import type { ChatTurn, IntentEvent, SourceItem } from '@review-assistant/shared';
import { readStreamEvent } from './stream-event.js';

export type MessageStatus = 'streaming' | 'done' | 'stopped' | 'error';

/** One message of the conversation as the UI keeps it (and stores it across reloads). */
export interface StoredMessage {
  id: string;
  role: 'user' | 'assistant';
  content: string;
  status: MessageStatus;
  createdAt: number;
  /** On user messages: what the gateway predicted for them. */
  intent?: Omit<IntentEvent, 'type'>;
  /** On assistant messages: the reviews the answer was grounded on. */
  sources?: SourceItem[];
  error?: { code: string; message: string; retryable: boolean };
  backend?: string;
  model?: string;
  transport?: string;
}

export interface Conversation {
  sessionId: string;
  messages: StoredMessage[];
}

/** The subset of the Web Storage API the store uses (so tests can pass a Map-backed double). */
export interface KeyValueStorage {
  getItem(key: string): string | null;
  setItem(key: string, value: string): void;
  removeItem(key: string): void;
}

/** Most messages kept across reloads; older ones are dropped first. */
export const MAX_STORED_MESSAGES = 200;
/** History turns sent with a request (the gateway accepts up to 20). */
export const MAX_HISTORY_TURNS_SENT = 20;
/** Longest history turn sent, in characters (the gateway accepts up to 8000). */
export const MAX_HISTORY_TURN_CHARS = 8000;

const STORAGE_KEY = 'review-assistant.chat.v1';

/** Random hex id from `crypto.getRandomValues` (which, unlike `randomUUID`, works over plain http). */
export function randomId(bytes = 12): string {
  const values = new Uint8Array(bytes);
  crypto.getRandomValues(values);
  return Array.from(values, (value) => value.toString(16).padStart(2, '0')).join('');
}

/** Keeps the conversation in localStorage. Corrupt or foreign data is discarded, never trusted. */
export class HistoryStore {
  constructor(
    private readonly storage: KeyValueStorage | undefined,
    private readonly key: string = STORAGE_KEY,
  ) {}

  load(): Conversation {
    const fresh = (): Conversation => ({ sessionId: randomId(), messages: [] });
    let raw: string | null = null;
    try {
      raw = this.storage?.getItem(this.key) ?? null;
    } catch {
      return fresh();
    }
    if (!raw) return fresh();
    let parsed: unknown;
    try {
      parsed = JSON.parse(raw);
    } catch {
      return fresh();
    }
    if (typeof parsed !== 'object' || parsed === null) return fresh();
    const { sessionId, messages } = parsed as { sessionId?: unknown; messages?: unknown };
    if (typeof sessionId !== 'string' || !Array.isArray(messages)) return fresh();
    const restored = messages.filter(isStoredMessage).map((message): StoredMessage => {
      // an answer that was streaming when the page went away can no longer finish
      const status = message.status === 'streaming' ? 'stopped' : message.status;
      const restoredMessage: StoredMessage = { ...message, status };
      if (message.sources !== undefined) {
        const sources = readStreamEvent({ type: 'sources', items: message.sources });
        restoredMessage.sources = sources?.type === 'sources' ? sources.items : [];
      }
      return restoredMessage;
    });
    return { sessionId, messages: restored };
  }

  save(conversation: Conversation): void {
    if (!this.storage) return;
    let messages = conversation.messages.slice(-MAX_STORED_MESSAGES);
    for (;;) {
      try {
        this.storage.setItem(this.key, JSON.stringify({ sessionId: conversation.sessionId, messages }));
        return;
      } catch {
        // over quota: drop the older half and try again; give up silently when nothing is left
        if (messages.length <= 1) return;
        messages = messages.slice(Math.ceil(messages.length / 2));
      }
    }
  }

  clear(): void {
    try {
      this.storage?.removeItem(this.key);
    } catch {
      // storage disabled: nothing to clear
    }
  }
}

/**
 * The history sent with a new message: earlier finished user/assistant pairs, newest last, within
 * the gateway's limits. Failed answers and their questions are left out.
 */
export function historyForRequest(messages: StoredMessage[]): ChatTurn[] {
  const turns: ChatTurn[] = [];
  for (let index = 0; index < messages.length; index += 1) {
    const question = messages[index];
    const answer = messages[index + 1];
    if (question?.role !== 'user') continue;
    if (answer?.role !== 'assistant' || answer.content.trim() === '' || answer.status === 'error') continue;
    turns.push({ role: 'user', content: question.content.slice(0, MAX_HISTORY_TURN_CHARS) });
    turns.push({ role: 'assistant', content: answer.content.slice(0, MAX_HISTORY_TURN_CHARS) });
    index += 1;
  }
  return turns.slice(-MAX_HISTORY_TURNS_SENT);
}

function isStoredMessage(value: unknown): value is StoredMessage {
  if (typeof value !== 'object' || value === null) return false;
  const message = value as Partial<Record<keyof StoredMessage, unknown>>;
  return (
    typeof message.id === 'string' &&
    (message.role === 'user' || message.role === 'assistant') &&
    typeof message.content === 'string' &&
    (message.status === 'streaming' ||
      message.status === 'done' ||
      message.status === 'stopped' ||
      message.status === 'error') &&
    typeof message.createdAt === 'number' &&
    (message.sources === undefined || Array.isArray(message.sources))
  );
}
