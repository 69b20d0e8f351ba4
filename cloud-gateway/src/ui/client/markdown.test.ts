import { describe, expect, it } from 'vitest';
import { inlineText, parseInline, parseMarkdown, safeHref } from './markdown.js';

describe('parseMarkdown', () => {
  it('splits paragraphs on blank lines and keeps single newlines as breaks', () => {
    const blocks = parseMarkdown('first line\nsecond line\n\nnext paragraph');
    expect(blocks).toEqual([
      {
        kind: 'paragraph',
        children: [{ kind: 'text', text: 'first line' }, { kind: 'break' }, { kind: 'text', text: 'second line' }],
      },
      { kind: 'paragraph', children: [{ kind: 'text', text: 'next paragraph' }] },
    ]);
  });

  it('reads bullet and numbered lists, keeping the start number', () => {
    const blocks = parseMarkdown('- one\n* two\n\n3. three\n4) four');
    expect(blocks).toEqual([
      { kind: 'list', ordered: false, start: 1, items: [[{ kind: 'text', text: 'one' }], [{ kind: 'text', text: 'two' }]] },
      { kind: 'list', ordered: true, start: 3, items: [[{ kind: 'text', text: 'three' }], [{ kind: 'text', text: 'four' }]] },
    ]);
  });

  it('keeps fenced code verbatim, including markup-looking text', () => {
    const blocks = parseMarkdown('```html\n<script>alert(1)</script>\n**not bold**\n```');
    expect(blocks).toEqual([{ kind: 'code-block', text: '<script>alert(1)</script>\n**not bold**' }]);
  });

  it('treats an unterminated fence (a streaming answer) as code up to the end', () => {
    expect(parseMarkdown('```\nconst a = 1')).toEqual([{ kind: 'code-block', text: 'const a = 1' }]);
  });

  it('reads headings and caps their level at 3', () => {
    expect(parseMarkdown('#### Deep')).toEqual([{ kind: 'heading', level: 3, children: [{ kind: 'text', text: 'Deep' }] }]);
  });

  it('leaves HTML as literal text', () => {
    const text = '<img src=x onerror="window.pwned=1"> <b>hi</b>';
    expect(parseMarkdown(text)).toEqual([{ kind: 'paragraph', children: [{ kind: 'text', text }] }]);
  });
});

describe('parseInline', () => {
  it('reads bold, italic and inline code', () => {
    expect(parseInline('**great** and *cheap* with `code`')).toEqual([
      { kind: 'strong', children: [{ kind: 'text', text: 'great' }] },
      { kind: 'text', text: ' and ' },
      { kind: 'em', children: [{ kind: 'text', text: 'cheap' }] },
      { kind: 'text', text: ' with ' },
      { kind: 'code', text: 'code' },
    ]);
  });

  it('shows unclosed markers as typed (a half-streamed answer)', () => {
    expect(inlineText(parseInline('this is **bol'))).toBe('this is **bol');
    expect(parseInline('this is **bol')).toEqual([{ kind: 'text', text: 'this is **bol' }]);
  });

  it('needs bold markers to hug their text', () => {
    expect(parseInline('a ** b ** c')).toEqual([{ kind: 'text', text: 'a ** b ** c' }]);
    expect(parseInline('x__init__y')).toEqual([{ kind: 'text', text: 'x__init__y' }]);
  });

  it('does not read snake_case or spaced asterisks as emphasis', () => {
    expect(parseInline('use snake_case_names and 2 * 3 * 4')).toEqual([
      { kind: 'text', text: 'use snake_case_names and 2 * 3 * 4' },
    ]);
  });

  it('keeps http and https links and drops other schemes to plain text', () => {
    expect(parseInline('[menu](https://example.com/menu)')).toEqual([
      { kind: 'link', href: 'https://example.com/menu', children: [{ kind: 'text', text: 'menu' }] },
    ]);
    expect(parseInline('[click](javascript:alert(1))')).toEqual([{ kind: 'text', text: 'click)' }]);
    expect(parseInline('[x](data:text/html,hi)')).toEqual([{ kind: 'text', text: 'x' }]);
  });

  it('turns [id] into a citation only when the resolver knows the id', () => {
    const resolveCitation = (label: string) => (label === 'reviews.csv:4' ? 0 : undefined);
    expect(parseInline('tasty [reviews.csv:4] but [unknown]', { resolveCitation })).toEqual([
      { kind: 'text', text: 'tasty ' },
      { kind: 'citation', label: 'reviews.csv:4', target: 0 },
      { kind: 'text', text: ' but [unknown]' },
    ]);
  });

  it('splits grouped citations and accepts a "source" prefix', () => {
    const ids = ['a', 'b'];
    const resolveCitation = (label: string) => {
      const index = ids.indexOf(label);
      return index === -1 ? undefined : index;
    };
    expect(parseInline('[a, b] [source: b]', { resolveCitation })).toEqual([
      { kind: 'citation', label: 'a', target: 0 },
      { kind: 'text', text: ' ' },
      { kind: 'citation', label: 'b', target: 1 },
      { kind: 'text', text: ' ' },
      { kind: 'citation', label: 'b', target: 1 },
    ]);
  });

  it('honours backslash escapes', () => {
    expect(parseInline('\\*not italic\\*')).toEqual([{ kind: 'text', text: '*not italic*' }]);
  });
});

describe('safeHref', () => {
  it('accepts only absolute http(s) URLs', () => {
    expect(safeHref('https://example.com')).toBe('https://example.com/');
    expect(safeHref('http://example.com/a?b=1')).toBe('http://example.com/a?b=1');
    expect(safeHref('JAVASCRIPT:alert(1)')).toBeUndefined();
    expect(safeHref('/relative')).toBeUndefined();
    expect(safeHref('vbscript:x')).toBeUndefined();
  });
});
