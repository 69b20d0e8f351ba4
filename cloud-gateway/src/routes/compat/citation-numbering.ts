import type { SourceItem } from '@review-assistant/shared';

/** A bracket longer than this is not a citation: it is passed on as text instead of being held back. */
const MAX_CITATION_CHARS = 200;
const EXCERPT_CHARS = 160;
/** A label inside brackets may carry a `source:` or `review` prefix (how models often write them). */
const LABEL_PREFIX = /^(?:sources?|reviews?)\s*:?\s*/i;

/**
 * Turns the worker's `[review-id]` citations into numbered ones (`[1]`, `[2, 3]`) as the answer
 * streams, so clients that only show text (and ignore the `sources` extension) still get
 * footnote-style references; `footer()` lists the numbered sources. A `[` opens a held-back
 * span until its `]` (or until it is clearly not a citation), so a citation split across two
 * deltas is still rewritten; nothing else is delayed.
 */
export class CitationNumbering {
  private readonly numberById = new Map<string, number>();
  private readonly cited = new Set<number>();
  private held = '';

  constructor(private readonly sources: readonly SourceItem[] = []) {
    sources.forEach((source, index) => this.numberById.set(source.id, index + 1));
  }

  /** Text ready to send for this delta (may be empty while a bracket is open). */
  push(text: string): string {
    if (!this.held && (this.numberById.size === 0 || !text.includes('['))) return text;
    let out = '';
    for (const char of text) {
      if (this.held) {
        this.held += char;
        if (char === ']') out += this.resolve();
        else if (char === '[' || this.held.length > MAX_CITATION_CHARS) {
          out += this.held.slice(0, -1);
          this.held = char === '[' ? '[' : '';
          if (char !== '[') out += char;
        }
      } else if (char === '[' && this.numberById.size > 0) this.held = '[';
      else out += char;
    }
    return out;
  }

  /** What is still held back (an unclosed bracket at the end of the answer), as plain text. */
  flush(): string {
    const rest = this.held;
    this.held = '';
    return rest;
  }

  /** Every source with its number in the text. */
  numbered(): { number: number; source: SourceItem }[] {
    return this.sources.map((source, index) => ({ number: index + 1, source }));
  }

  /**
   * A plain-text list of the sources, appended to the answer: the cited ones, or all of them when
   * the answer cited none; empty without sources.
   */
  footer(): string {
    const all = this.numbered();
    const entries = this.cited.size === 0 ? all : all.filter((entry) => this.cited.has(entry.number));
    if (entries.length === 0) return '';
    const lines = entries.map(({ number, source }) => `[${number}] ${describe(source)}`);
    return `\n\nSources:\n${lines.join('\n')}`;
  }

  private resolve(): string {
    const span = this.held;
    this.held = '';
    const labels = span
      .slice(1, -1)
      .split(/[,;]/)
      .map((label) => label.trim());
    // An id may itself start like a prefix (`reviews.csv:3`), so the label as written wins.
    const numbers = labels.map((label) => this.numberById.get(label) ?? this.numberById.get(label.replace(LABEL_PREFIX, '')));
    if (labels.length === 0 || numbers.some((number) => number === undefined)) return span;
    for (const number of numbers) this.cited.add(number!);
    return `[${[...new Set(numbers)].join(', ')}]`;
  }
}

function describe(source: SourceItem): string {
  const { restaurant, rating, date, title } = source.metadata;
  const facts = [restaurant ?? title, typeof rating === 'number' ? `${rating}/5` : null, date].filter(Boolean);
  const text = source.text.replace(/\s+/g, ' ').trim();
  const excerpt = text.length > EXCERPT_CHARS ? `${text.slice(0, EXCERPT_CHARS).trimEnd()}…` : text;
  return `${facts.length > 0 ? `${facts.join(', ')}: ` : ''}"${excerpt}" (${source.metadata.source}, row ${source.metadata.row})`;
}
