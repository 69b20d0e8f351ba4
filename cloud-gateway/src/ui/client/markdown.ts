/**
 * A small markdown parser for model answers. It produces a plain syntax tree; `render-markdown.ts`
 * turns the tree into DOM nodes with `createElement`/`textContent` only, so no HTML written by a
 * model (or quoted from a review) can ever become markup.
 *
 * Supported: paragraphs (single newlines become line breaks), `#` headings, `-`/`*`/`+` and `1.`
 * lists, fenced code blocks, `**bold**`, `*italic*`/`_italic_`, `` `code` ``, `[text](http(s) url)`
 * links and `[id]` citations. Anything else stays literal text. Unclosed syntax (common while an
 * answer is still streaming) is shown as typed.
 */

export type InlineNode =
  | { kind: 'text'; text: string }
  | { kind: 'strong'; children: InlineNode[] }
  | { kind: 'em'; children: InlineNode[] }
  | { kind: 'code'; text: string }
  | { kind: 'link'; href: string; children: InlineNode[] }
  | { kind: 'citation'; label: string; target: number }
  | { kind: 'break' };

export type BlockNode =
  | { kind: 'paragraph'; children: InlineNode[] }
  | { kind: 'heading'; level: 1 | 2 | 3; children: InlineNode[] }
  | { kind: 'list'; ordered: boolean; start: number; items: InlineNode[][] }
  | { kind: 'code-block'; text: string };

export interface MarkdownOptions {
  /**
   * Maps the label inside `[label]` to the index of a source shown with the answer, or undefined
   * when the label is not a citation (then the brackets stay literal text).
   */
  resolveCitation?: (label: string) => number | undefined;
}

const bulletPattern = /^\s{0,3}[-*+]\s+(.*)$/;
const orderedPattern = /^\s{0,3}(\d{1,9})[.)]\s+(.*)$/;
const headingPattern = /^\s{0,3}(#{1,6})\s+(.*?)\s*#*\s*$/;
const fencePattern = /^\s{0,3}(```|~~~)/;

/** Parses markdown text into blocks. Never throws. */
export function parseMarkdown(source: string, options: MarkdownOptions = {}): BlockNode[] {
  const lines = source.replace(/\r\n?/g, '\n').split('\n');
  const blocks: BlockNode[] = [];
  let paragraph: string[] = [];
  let list: { ordered: boolean; start: number; items: string[] } | undefined;

  const flushParagraph = (): void => {
    if (paragraph.length > 0) {
      blocks.push({ kind: 'paragraph', children: parseLines(paragraph, options) });
      paragraph = [];
    }
  };
  const flushList = (): void => {
    if (list) {
      blocks.push({
        kind: 'list',
        ordered: list.ordered,
        start: list.start,
        items: list.items.map((item) => parseInline(item, options)),
      });
      list = undefined;
    }
  };

  for (let index = 0; index < lines.length; index += 1) {
    const line = lines[index] ?? '';
    const fence = fencePattern.exec(line);
    if (fence) {
      flushParagraph();
      flushList();
      const marker = fence[1] ?? '```';
      const body: string[] = [];
      index += 1;
      while (index < lines.length && !(lines[index] ?? '').trimStart().startsWith(marker)) {
        body.push(lines[index] ?? '');
        index += 1;
      }
      blocks.push({ kind: 'code-block', text: body.join('\n') });
      continue;
    }
    if (line.trim() === '') {
      flushParagraph();
      flushList();
      continue;
    }
    const heading = headingPattern.exec(line);
    if (heading) {
      flushParagraph();
      flushList();
      const level = Math.min(3, (heading[1] ?? '#').length) as 1 | 2 | 3;
      blocks.push({ kind: 'heading', level, children: parseInline(heading[2] ?? '', options) });
      continue;
    }
    const bullet = bulletPattern.exec(line);
    const ordered = bullet ? null : orderedPattern.exec(line);
    if (bullet || ordered) {
      flushParagraph();
      const isOrdered = ordered !== null;
      const text = (bullet ? bullet[1] : ordered?.[2]) ?? '';
      if (!list || list.ordered !== isOrdered) {
        flushList();
        list = { ordered: isOrdered, start: isOrdered ? Number(ordered?.[1] ?? '1') : 1, items: [] };
      }
      list.items.push(text);
      continue;
    }
    if (list && /^\s{2,}\S/.test(line)) {
      // an indented line continues the previous list item
      const last = list.items.length - 1;
      list.items[last] = `${list.items[last] ?? ''} ${line.trim()}`;
      continue;
    }
    flushList();
    paragraph.push(line);
  }
  flushParagraph();
  flushList();
  return blocks;
}

function parseLines(lines: string[], options: MarkdownOptions): InlineNode[] {
  const nodes: InlineNode[] = [];
  lines.forEach((line, index) => {
    if (index > 0) nodes.push({ kind: 'break' });
    nodes.push(...parseInline(line.trim(), options));
  });
  return nodes;
}

/** Parses one line of inline markdown. */
export function parseInline(text: string, options: MarkdownOptions = {}): InlineNode[] {
  const nodes: InlineNode[] = [];
  let buffer = '';
  const pushText = (): void => {
    if (buffer !== '') {
      const last = nodes[nodes.length - 1];
      if (last && last.kind === 'text') last.text += buffer;
      else nodes.push({ kind: 'text', text: buffer });
      buffer = '';
    }
  };

  let position = 0;
  while (position < text.length) {
    const char = text[position] ?? '';
    const rest = text.slice(position);

    if (char === '\\' && position + 1 < text.length && /[\\`*_[\]()#+\-.!]/.test(text[position + 1] ?? '')) {
      buffer += text[position + 1];
      position += 2;
      continue;
    }

    if (char === '`') {
      const end = text.indexOf('`', position + 1);
      if (end > position + 1) {
        pushText();
        nodes.push({ kind: 'code', text: text.slice(position + 1, end) });
        position = end + 1;
        continue;
      }
    }

    if (rest.startsWith('**') || rest.startsWith('__')) {
      const marker = rest.slice(0, 2);
      const end = isStrongOpener(text, position) ? findClosing(text, marker, position + 2) : -1;
      if (end !== -1) {
        pushText();
        nodes.push({ kind: 'strong', children: parseInline(text.slice(position + 2, end), options) });
        position = end + 2;
        continue;
      }
      // a double marker that opens nothing is literal; it must not become two single ones
      buffer += marker;
      position += 2;
      continue;
    }

    if ((char === '*' || char === '_') && isEmphasisOpener(text, position)) {
      const end = findEmphasisClose(text, char, position + 1);
      if (end !== -1) {
        pushText();
        nodes.push({ kind: 'em', children: parseInline(text.slice(position + 1, end), options) });
        position = end + 1;
        continue;
      }
    }

    if (char === '[') {
      const link = matchLink(text, position);
      if (link) {
        pushText();
        const href = safeHref(link.href);
        const children = parseInline(link.label, options);
        if (href) nodes.push({ kind: 'link', href, children });
        else nodes.push(...children);
        position = link.end;
        continue;
      }
      const close = text.indexOf(']', position + 1);
      if (close > position + 1 && options.resolveCitation) {
        const citations = matchCitations(text.slice(position + 1, close), options.resolveCitation);
        if (citations) {
          pushText();
          citations.forEach((citation, index) => {
            if (index > 0) nodes.push({ kind: 'text', text: ' ' });
            nodes.push({ kind: 'citation', label: citation.label, target: citation.target });
          });
          position = close + 1;
          continue;
        }
      }
    }

    buffer += char;
    position += 1;
  }
  pushText();
  return nodes;
}

function isStrongOpener(text: string, position: number): boolean {
  const next = text[position + 2] ?? '';
  const previous = position > 0 ? (text[position - 1] ?? '') : '';
  if (next === '' || /\s/.test(next)) return false;
  return !(text[position] === '_' && /[\p{L}\p{N}]/u.test(previous));
}

/** The closing marker: not preceded by whitespace (CommonMark's right-flanking rule, simplified). */
function findClosing(text: string, marker: string, from: number): number {
  let end = text.indexOf(marker, from);
  while (end !== -1 && /\s/.test(text[end - 1] ?? ' ')) end = text.indexOf(marker, end + 1);
  return end > from ? end : -1;
}

function isEmphasisOpener(text: string, position: number): boolean {
  const next = text[position + 1] ?? '';
  const previous = position > 0 ? (text[position - 1] ?? '') : '';
  if (next === '' || /\s/.test(next)) return false;
  // snake_case words are not emphasis
  if (text[position] === '_' && /[\p{L}\p{N}]/u.test(previous)) return false;
  return true;
}

function findEmphasisClose(text: string, marker: string, from: number): number {
  for (let index = from + 1; index < text.length; index += 1) {
    if (text[index] !== marker) continue;
    if (/\s/.test(text[index - 1] ?? ' ')) continue;
    if (text[index + 1] === marker) {
      index += 1;
      continue;
    }
    if (marker === '_' && /[\p{L}\p{N}]/u.test(text[index + 1] ?? '')) continue;
    return index;
  }
  return -1;
}

function matchLink(text: string, position: number): { label: string; href: string; end: number } | undefined {
  const labelEnd = text.indexOf('](', position + 1);
  if (labelEnd === -1 || text.slice(position + 1, labelEnd).includes('[')) return undefined;
  const hrefEnd = text.indexOf(')', labelEnd + 2);
  if (hrefEnd === -1) return undefined;
  const href = text.slice(labelEnd + 2, hrefEnd).trim();
  if (href === '' || /\s/.test(href)) return undefined;
  return { label: text.slice(position + 1, labelEnd), href, end: hrefEnd + 1 };
}

/** `[a]`, `[a, b]` or `[a][b]`-style labels; every part must resolve or none is a citation. */
function matchCitations(
  inside: string,
  resolve: (label: string) => number | undefined,
): Array<{ label: string; target: number }> | undefined {
  const parts = inside.split(/\s*[,;]\s*/).filter((part) => part !== '');
  if (parts.length === 0) return undefined;
  const citations: Array<{ label: string; target: number }> = [];
  for (const part of parts) {
    const trimmed = part.trim();
    const stripped = trimmed.replace(/^(source|review|id)(\s*[:#]\s*|\s+)/i, '');
    const direct = resolve(trimmed);
    const target = direct ?? resolve(stripped);
    if (target === undefined) return undefined;
    citations.push({ label: direct === undefined ? stripped : trimmed, target });
  }
  return citations;
}

/** Only absolute http(s) links survive; everything else (javascript:, data:, relative) is dropped. */
export function safeHref(raw: string): string | undefined {
  let url: URL;
  try {
    url = new URL(raw);
  } catch {
    return undefined;
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') return undefined;
  return url.href;
}

/** Plain text of inline nodes (used for copy and for accessible names). */
export function inlineText(nodes: InlineNode[]): string {
  return nodes
    .map((node) => {
      switch (node.kind) {
        case 'text':
        case 'code':
          return node.text;
        case 'break':
          return '\n';
        case 'citation':
          return `[${node.label}]`;
        default:
          return inlineText(node.children);
      }
    })
    .join('');
}
