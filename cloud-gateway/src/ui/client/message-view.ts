import type { SourceItem } from '@review-assistant/shared';
import { element } from './dom.js';
import type { StoredMessage } from './history-store.js';
import { parseMarkdown } from './markdown.js';
import { renderMarkdown, type CitationTarget } from './render-markdown.js';

export interface MessageViewHandlers {
  /** The reader asked to try a failed or stopped answer again. */
  retry(messageId: string): void;
}

/** Characters of a review shown before "Show full review". */
const EXCERPT_CHARS = 280;

const routeLabels: Record<string, string> = {
  worker: 'review search',
  smalltalk: 'small talk',
  decline: 'out of scope',
};

/**
 * One message in the conversation. Parts are re-rendered only when they change, so a streaming
 * answer does not rebuild its sources panel (or lose the reader's place in it) on every token.
 */
export class MessageView {
  readonly root: HTMLLIElement;
  private readonly meta: HTMLElement;
  private readonly body: HTMLElement;
  private readonly sources: HTMLElement;
  private readonly footer: HTMLElement;
  private rendered: { content?: string; sources?: SourceItem[]; intent?: unknown; status?: string; footerKey?: string; error?: unknown } = {};
  private sourceElements: HTMLElement[] = [];

  constructor(
    private message: StoredMessage,
    private readonly handlers: MessageViewHandlers,
  ) {
    const isUser = message.role === 'user';
    this.root = element('li', {
      class: `message ${message.role}`,
      attributes: { 'data-message-id': message.id },
    });
    const label = element('span', { class: 'author', text: isUser ? 'You' : 'Assistant' });
    this.meta = element('div', { class: 'message-meta' }, [label]);
    this.body = element('div', { class: isUser ? 'bubble user-text' : 'bubble answer' });
    if (!isUser) {
      // the streaming answer is announced politely; aria-busy holds announcements until it settles
      this.body.setAttribute('aria-live', 'polite');
      this.body.setAttribute('aria-atomic', 'false');
    }
    this.sources = element('section', { class: 'sources', attributes: { hidden: '' } });
    this.footer = element('div', { class: 'message-footer' });
    this.root.append(this.meta, this.body, this.sources, this.footer);
    this.update(message);
  }

  update(message: StoredMessage): void {
    this.message = message;
    this.root.dataset.status = message.status;
    if (message.intent !== this.rendered.intent) this.renderIntent();
    // sources before content: the answer's citations point into the sources list
    if (message.sources !== this.rendered.sources) this.renderSources();
    if (
      message.content !== this.rendered.content ||
      message.sources !== this.rendered.sources ||
      message.status !== this.rendered.status
    ) {
      this.renderContent();
    }
    const footerKey = [message.status, message.backend, message.model, message.transport].join('|');
    if (footerKey !== this.rendered.footerKey || message.error !== this.rendered.error) this.renderFooter();
    this.rendered = {
      content: message.content,
      intent: message.intent,
      status: message.status,
      footerKey,
      error: message.error,
      ...(message.sources ? { sources: message.sources } : {}),
    };
  }

  /** Scrolls to source `index` of this answer and highlights it briefly. */
  highlightSource(index: number): void {
    const target = this.sourceElements[index];
    if (!target) return;
    const reduceMotion = window.matchMedia('(prefers-reduced-motion: reduce)').matches;
    target.scrollIntoView({ block: 'nearest', behavior: reduceMotion ? 'auto' : 'smooth' });
    for (const other of this.sourceElements) other.classList.remove('highlighted');
    // restart the highlight animation when the same source is cited twice in a row
    void target.offsetWidth;
    target.classList.add('highlighted');
    target.focus({ preventScroll: true });
  }

  private sourceElementId(index: number): string {
    return `source-${this.message.id}-${index + 1}`;
  }

  private renderIntent(): void {
    this.meta.querySelector('.intent')?.remove();
    const intent = this.message.intent;
    if (!intent) return;
    const percent = Math.round(intent.confidence * 100);
    // the gateway sends `unknown` at 0 % while its intent model is not loaded
    const known = !(intent.name === 'unknown' && intent.confidence === 0);
    const chip = element('span', {
      class: 'intent',
      attributes: {
        'data-route': intent.route,
        title: known
          ? `Predicted intent ${intent.name}${intent.domain ? ` (${intent.domain})` : ''}, ${percent}% confident; handled as ${routeLabels[intent.route] ?? intent.route}`
          : `No intent prediction (the intent model is not loaded); handled as ${routeLabels[intent.route] ?? intent.route}`,
      },
    });
    chip.append(element('span', { class: 'intent-name', text: known ? intent.name.replace(/_/g, ' ') : 'intent n/a' }));
    if (known) chip.append(element('span', { class: 'intent-confidence', text: `${percent}%` }));
    chip.append(element('span', { class: 'intent-route', text: routeLabels[intent.route] ?? intent.route }));
    this.meta.append(chip);
  }

  private renderContent(): void {
    if (this.message.role === 'user') {
      this.body.textContent = this.message.content;
      return;
    }
    const sources = this.message.sources ?? [];
    const blocks = parseMarkdown(this.message.content, {
      resolveCitation: (label) => resolveCitation(label, sources),
    });
    const citations: CitationTarget = {
      idFor: (index) => this.sourceElementId(index),
      activate: (index) => this.highlightSource(index),
    };
    this.body.replaceChildren(renderMarkdown(blocks, citations));
    if (this.message.status === 'streaming') {
      this.body.append(element('span', { class: 'cursor', attributes: { 'aria-hidden': 'true' } }));
      if (this.message.content === '') {
        this.body.append(element('span', { class: 'thinking', text: 'Thinking…' }));
      }
    }
  }

  private renderSources(): void {
    const items = this.message.sources ?? [];
    this.sourceElements = [];
    if (items.length === 0) {
      this.sources.hidden = true;
      this.sources.replaceChildren();
      return;
    }
    const headingId = `sources-heading-${this.message.id}`;
    const heading = element('h3', {
      class: 'sources-heading',
      text: `Sources (${items.length})`,
      attributes: { id: headingId },
    });
    const list = element('ol', { class: 'source-list' });
    items.forEach((item, index) => {
      const entry = this.renderSource(item, index);
      this.sourceElements.push(entry);
      list.append(entry);
    });
    this.sources.setAttribute('aria-labelledby', headingId);
    this.sources.replaceChildren(heading, list);
    this.sources.hidden = false;
  }

  private renderSource(item: SourceItem, index: number): HTMLLIElement {
    const metadata = item.metadata;
    const entry = element('li', {
      class: 'source',
      attributes: { id: this.sourceElementId(index), tabindex: '-1', 'data-source-id': item.id },
    });
    const head = element('div', { class: 'source-head' }, [
      element('span', { class: 'source-number', text: String(index + 1), attributes: { 'aria-hidden': 'true' } }),
      element('span', { class: 'source-restaurant', text: metadata.restaurant ?? metadata.title ?? metadata.source }),
    ]);
    if (typeof metadata.rating === 'number') head.append(renderStars(metadata.rating));
    entry.append(head);
    if (metadata.title && metadata.restaurant) entry.append(element('p', { class: 'source-title', text: metadata.title }));

    const long = item.text.length > EXCERPT_CHARS;
    const excerpt = element('p', { class: 'source-excerpt', text: long ? `${item.text.slice(0, EXCERPT_CHARS).trimEnd()}…` : item.text });
    entry.append(excerpt);
    const foot = element('div', { class: 'source-foot' }, [
      element('code', { class: 'source-id', text: item.id, attributes: { title: `${metadata.source}, row ${metadata.row}` } }),
    ]);
    if (metadata.date) {
      foot.append(element('time', { class: 'source-date', text: formatDate(metadata.date), attributes: { datetime: metadata.date } }));
    }
    if (long) {
      const toggle = element('button', {
        class: 'link-button',
        text: 'Show full review',
        attributes: { type: 'button', 'aria-expanded': 'false' },
      });
      toggle.addEventListener('click', () => {
        const expanded = toggle.getAttribute('aria-expanded') === 'true';
        excerpt.textContent = expanded ? `${item.text.slice(0, EXCERPT_CHARS).trimEnd()}…` : item.text;
        toggle.textContent = expanded ? 'Show full review' : 'Show less';
        toggle.setAttribute('aria-expanded', String(!expanded));
      });
      foot.append(toggle);
    }
    entry.append(foot);
    return entry;
  }

  private renderFooter(): void {
    const message = this.message;
    this.footer.replaceChildren();
    this.body.setAttribute('aria-busy', String(message.status === 'streaming'));
    if (message.role === 'user') return;
    if (message.status === 'error' && message.error) {
      const alert = element('div', { class: 'error-box', attributes: { role: 'alert' } }, [
        element('strong', { text: errorTitle(message.error.code) }),
        element('span', { class: 'error-message', text: ` ${message.error.message}` }),
        element('code', { class: 'error-code', text: message.error.code }),
      ]);
      alert.append(this.retryButton('button secondary retry', 'Retry'));
      this.footer.append(alert);
      return;
    }
    if (message.status === 'stopped') {
      const note = element('div', { class: 'stopped-note' }, [element('span', { text: 'Stopped.' })]);
      note.append(this.retryButton('link-button retry', 'Regenerate'));
      this.footer.append(note);
      return;
    }
    if (message.status === 'done') {
      const details: string[] = [];
      if (message.backend) details.push(message.backend === 'gateway' ? 'answered by the gateway' : `${message.backend} backend`);
      if (message.model) details.push(message.model);
      if (message.transport) details.push(`via ${message.transport === 'sse' ? 'SSE' : 'WebSocket'}`);
      if (details.length > 0) this.footer.append(element('span', { class: 'answer-details', text: details.join(' · ') }));
    }
  }

  /** The Retry / Regenerate button of an errored or stopped answer. */
  private retryButton(className: string, text: string): HTMLButtonElement {
    const id = this.message.id;
    const button = element('button', { class: className, text, attributes: { type: 'button' } });
    button.addEventListener('click', () => this.handlers.retry(id));
    return button;
  }
}

/** A citation label is a source id (exact, then case-insensitive) or a 1-based source number. */
export function resolveCitation(label: string, sources: SourceItem[]): number | undefined {
  const exact = sources.findIndex((source) => source.id === label);
  if (exact !== -1) return exact;
  const lower = label.toLowerCase();
  const loose = sources.findIndex((source) => source.id.toLowerCase() === lower);
  if (loose !== -1) return loose;
  if (/^\d{1,3}$/.test(label)) {
    const number = Number(label);
    if (number >= 1 && number <= sources.length) return number - 1;
  }
  return undefined;
}

function renderStars(rating: number): HTMLElement {
  const clamped = Math.max(0, Math.min(5, rating));
  const full = Math.round(clamped);
  const stars = element('span', {
    class: 'stars',
    attributes: { role: 'img', 'aria-label': `Rated ${clamped} out of 5` },
  });
  stars.append(
    element('span', { class: 'stars-on', text: '★'.repeat(full), attributes: { 'aria-hidden': 'true' } }),
    element('span', { class: 'stars-off', text: '★'.repeat(5 - full), attributes: { 'aria-hidden': 'true' } }),
    element('span', { class: 'stars-value', text: ` ${clamped}`, attributes: { 'aria-hidden': 'true' } }),
  );
  return stars;
}

function formatDate(value: string): string {
  const date = new Date(value);
  if (Number.isNaN(date.getTime())) return value;
  return date.toLocaleDateString(undefined, { year: 'numeric', month: 'short', day: 'numeric', timeZone: 'UTC' });
}

function errorTitle(code: string): string {
  switch (code) {
    case 'no_worker':
    case 'worker_unavailable':
      return 'No worker available.';
    case 'worker_timeout':
      return 'The worker took too long.';
    case 'worker_stream_broken':
      return 'The answer broke off.';
    case 'rate_limited':
      return 'Too many messages.';
    case 'connection_lost':
      return 'Connection lost.';
    default:
      return 'The answer failed.';
  }
}
