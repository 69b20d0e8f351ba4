import type { ChatRequest, StreamEvent } from '@review-assistant/shared';
import { ChatTransport } from './chat-transport.js';
import { element } from './dom.js';
import {
  historyForRequest,
  randomId,
  type Conversation,
  type HistoryStore,
  type StoredMessage,
} from './history-store.js';
import { MessageView } from './message-view.js';
import { describeStatus, fetchStatus } from './status-badge.js';

/** The page elements the app drives (see `static/index.html`). */
export interface ChatElements {
  scroller: HTMLElement;
  messages: HTMLOListElement;
  emptyState: HTMLElement;
  form: HTMLFormElement;
  input: HTMLTextAreaElement;
  send: HTMLButtonElement;
  stop: HTMLButtonElement;
  newChat: HTMLButtonElement;
  badge: HTMLElement;
  banner: HTMLElement;
}

export interface ChatAppOptions {
  elements: ChatElements;
  store: HistoryStore;
  transport?: ChatTransport;
  /** How often the worker badge polls `GET /api/status`. @default 5000 */
  statusIntervalMs?: number;
}

interface ActiveTurn {
  assistantId: string;
  abort: AbortController;
}

/** How often a streaming answer is written to localStorage, so a reload keeps most of it. */
const SAVE_WHILE_STREAMING_MS = 1000;

/** The chat page: conversation state, the composer, the turn life cycle and the status badge. */
export class ChatApp {
  private conversation: Conversation;
  private readonly views = new Map<string, MessageView>();
  private readonly pendingRender = new Set<string>();
  private renderScheduled = false;
  private active: ActiveTurn | undefined;
  private lastStreamingSave = 0;
  private readonly elements: ChatElements;
  private readonly store: HistoryStore;
  private readonly transport: ChatTransport;
  private readonly statusIntervalMs: number;
  private statusTimer: ReturnType<typeof setTimeout> | undefined;

  constructor(options: ChatAppOptions) {
    this.elements = options.elements;
    this.store = options.store;
    this.transport = options.transport ?? new ChatTransport();
    this.statusIntervalMs = options.statusIntervalMs ?? 5000;
    this.conversation = this.store.load();
  }

  start(): void {
    const { form, input, stop, newChat } = this.elements;
    for (const message of this.conversation.messages) this.mount(message);
    this.refreshEmptyState();
    this.scrollToEnd(true);

    form.addEventListener('submit', (event) => {
      event.preventDefault();
      this.send(input.value);
    });
    input.addEventListener('keydown', (event) => {
      if (event.key === 'Enter' && !event.shiftKey && !event.isComposing) {
        event.preventDefault();
        this.send(input.value);
      } else if (event.key === 'Escape' && this.active) {
        event.preventDefault();
        this.stop();
      }
    });
    stop.addEventListener('click', () => this.stop());
    newChat.addEventListener('click', () => this.newChat());
    for (const suggestion of this.elements.emptyState.querySelectorAll<HTMLButtonElement>('button[data-suggestion]')) {
      suggestion.addEventListener('click', () => this.send(suggestion.dataset.suggestion ?? ''));
    }
    document.addEventListener('visibilitychange', () => {
      if (document.visibilityState === 'visible') void this.pollStatus();
    });
    window.addEventListener('pagehide', () => {
      this.save();
      this.transport.close();
    });
    void this.pollStatus();
    input.focus();
  }

  /** Sends a new question (ignored while an answer is streaming or when empty). */
  send(text: string): void {
    const content = text.trim();
    if (content === '' || this.active) return;
    const user = this.append({ id: randomId(), role: 'user', content, status: 'done', createdAt: Date.now() });
    this.elements.input.value = '';
    void this.runTurn(user);
  }

  /** Stops the streaming answer (WebSocket `cancel`, or an aborted SSE request). */
  stop(): void {
    this.active?.abort.abort();
  }

  /** Answers the question before `assistantId` again, replacing that answer. */
  retry(assistantId: string): void {
    if (this.active) return;
    const messages = this.conversation.messages;
    const index = messages.findIndex((message) => message.id === assistantId);
    const user = messages[index - 1];
    if (index === -1 || user?.role !== 'user') return;
    this.views.get(assistantId)?.root.remove();
    this.views.delete(assistantId);
    this.conversation = { ...this.conversation, messages: messages.filter((message) => message.id !== assistantId) };
    void this.runTurn(user);
  }

  newChat(): void {
    this.stop();
    this.transport.close();
    this.store.clear();
    this.conversation = { sessionId: randomId(), messages: [] };
    this.views.clear();
    this.elements.messages.replaceChildren();
    this.refreshEmptyState();
    this.elements.input.value = '';
    this.elements.input.focus();
  }

  private async runTurn(user: StoredMessage): Promise<void> {
    const before = this.conversation.messages.slice(0, this.conversation.messages.findIndex((message) => message.id === user.id));
    const assistant = this.insertAfter(user.id, {
      id: randomId(),
      role: 'assistant',
      content: '',
      status: 'streaming',
      createdAt: Date.now(),
    });
    const abort = new AbortController();
    this.active = { assistantId: assistant.id, abort };
    this.setStreaming(true);
    const history = historyForRequest(before);
    const request: ChatRequest = {
      message: user.content,
      sessionId: this.conversation.sessionId,
      ...(history.length > 0 ? { history } : {}),
    };
    try {
      await this.transport.run({
        turnId: assistant.id,
        request,
        signal: abort.signal,
        onTransport: (kind) => this.patch(assistant.id, { transport: kind }, false),
        onEvent: (event) => {
          if (this.active?.assistantId === assistant.id) this.onEvent(user.id, assistant.id, event);
        },
      });
    } catch (error) {
      if (!abort.signal.aborted) {
        this.patch(assistant.id, {
          status: 'error',
          error: {
            code: 'connection_lost',
            message: error instanceof Error ? error.message : 'The connection to the gateway was lost.',
            retryable: true,
          },
        });
        void this.pollStatus();
      }
    } finally {
      const current = this.find(assistant.id);
      if (current?.status === 'streaming') {
        this.patch(assistant.id, { status: abort.signal.aborted ? 'stopped' : 'done' });
      }
      this.active = undefined;
      this.setStreaming(false);
      this.flushRender();
      this.save();
    }
  }

  private onEvent(userId: string, assistantId: string, event: StreamEvent): void {
    switch (event.type) {
      case 'intent': {
        const { type: _type, ...intent } = event;
        this.patch(userId, { intent });
        break;
      }
      case 'sources':
        this.patch(assistantId, { sources: event.items });
        break;
      case 'answer-delta': {
        const current = this.find(assistantId);
        if (current) this.patch(assistantId, { content: current.content + event.text }, false);
        break;
      }
      case 'answer-end':
        this.patch(assistantId, {
          status: 'done',
          ...(event.backend !== undefined ? { backend: event.backend } : {}),
          ...(event.model !== undefined ? { model: event.model } : {}),
        });
        break;
      case 'error':
        if (event.code === 'cancelled') {
          this.patch(assistantId, { status: 'stopped' });
        } else {
          this.patch(assistantId, {
            status: 'error',
            error: { code: event.code, message: event.message, retryable: event.retryable },
          });
          if (event.code === 'no_worker' || event.code.startsWith('worker_')) void this.pollStatus();
        }
        break;
    }
    if (Date.now() - this.lastStreamingSave > SAVE_WHILE_STREAMING_MS) {
      this.lastStreamingSave = Date.now();
      this.save();
    }
  }

  private find(id: string): StoredMessage | undefined {
    return this.conversation.messages.find((message) => message.id === id);
  }

  /** Replaces a message with an updated copy and re-renders it (now, or batched per frame). */
  private patch(id: string, changes: Partial<StoredMessage>, immediate = true): void {
    let updated: StoredMessage | undefined;
    this.conversation = {
      ...this.conversation,
      messages: this.conversation.messages.map((message) => {
        if (message.id !== id) return message;
        updated = { ...message, ...changes } as StoredMessage;
        return updated;
      }),
    };
    if (!updated) return;
    this.pendingRender.add(id);
    if (immediate) this.flushRender();
    else this.scheduleRender();
  }

  private scheduleRender(): void {
    if (this.renderScheduled) return;
    this.renderScheduled = true;
    // requestAnimationFrame batches tokens per frame; the timer keeps text flowing in a hidden tab
    const timer = setTimeout(() => this.flushRender(), 100);
    requestAnimationFrame(() => {
      clearTimeout(timer);
      this.flushRender();
    });
  }

  private flushRender(): void {
    this.renderScheduled = false;
    if (this.pendingRender.size === 0) return;
    const stick = this.isNearEnd();
    for (const id of this.pendingRender) {
      const message = this.find(id);
      if (message) this.views.get(id)?.update(message);
    }
    this.pendingRender.clear();
    if (stick) this.scrollToEnd(false);
  }

  private append(message: StoredMessage): StoredMessage {
    this.conversation = { ...this.conversation, messages: [...this.conversation.messages, message] };
    this.mount(message);
    this.refreshEmptyState();
    this.scrollToEnd(true);
    this.save();
    return message;
  }

  private insertAfter(previousId: string, message: StoredMessage): StoredMessage {
    const messages = [...this.conversation.messages];
    const index = messages.findIndex((candidate) => candidate.id === previousId);
    messages.splice(index + 1, 0, message);
    this.conversation = { ...this.conversation, messages };
    const view = new MessageView(message, { retry: (id) => this.retry(id) });
    this.views.set(message.id, view);
    const previous = this.views.get(previousId)?.root;
    if (previous) previous.after(view.root);
    else this.elements.messages.append(view.root);
    this.scrollToEnd(true);
    return message;
  }

  private mount(message: StoredMessage): void {
    const view = new MessageView(message, { retry: (id) => this.retry(id) });
    this.views.set(message.id, view);
    this.elements.messages.append(view.root);
  }

  private save(): void {
    this.store.save(this.conversation);
  }

  private setStreaming(streaming: boolean): void {
    const { send, stop, input } = this.elements;
    const focusWasOnButton = document.activeElement === send || document.activeElement === stop;
    send.hidden = streaming;
    stop.hidden = !streaming;
    this.elements.form.setAttribute('aria-busy', String(streaming));
    if (focusWasOnButton) (streaming ? stop : input).focus();
  }

  private refreshEmptyState(): void {
    this.elements.emptyState.hidden = this.conversation.messages.length > 0;
  }

  private isNearEnd(): boolean {
    const { scroller } = this.elements;
    return scroller.scrollHeight - scroller.scrollTop - scroller.clientHeight < 80;
  }

  private scrollToEnd(force: boolean): void {
    if (force || this.isNearEnd()) this.elements.scroller.scrollTop = this.elements.scroller.scrollHeight;
  }

  private async pollStatus(): Promise<void> {
    if (this.statusTimer !== undefined) clearTimeout(this.statusTimer);
    const view = describeStatus(await fetchStatus());
    const { badge, banner } = this.elements;
    badge.dataset.state = view.state;
    const label = badge.querySelector('.badge-label');
    if (label) label.textContent = view.label;
    badge.title = view.detail;
    const offline = view.state === 'offline' || view.state === 'unreachable';
    banner.hidden = !offline;
    banner.dataset.state = view.state;
    banner.replaceChildren(element('strong', { text: `${view.label}.` }), ` ${view.detail}`);
    this.statusTimer = setTimeout(() => void this.pollStatus(), this.statusIntervalMs);
  }
}
