import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import type { SourceItem } from '@review-assistant/shared';
import { CitationNumbering } from './citation-numbering.js';
import { StopSequences } from './stop-sequences.js';

const source = (id: string, restaurant: string, rating: number, text: string, row: number): SourceItem => ({
  id,
  score: 0.9,
  text,
  metadata: { source: 'reviews.csv', row, restaurant, rating, date: '2024-03-02' },
});
const sources = [
  source('reviews.csv:0', 'Saffron House', 5, 'The biryani was fragrant and properly spicy.', 0),
  source('reviews.csv:1', 'Saffron House', 3, 'Too oily for me.', 1),
  source('reviews.csv:2', 'Green Leaf Cafe', 4, 'Excellent coffee.', 2),
];

/** Feeds `parts` as deltas and returns the text sent, plus what the end flushes. */
function run(parts: string[]): { text: string; numbering: CitationNumbering } {
  const numbering = new CitationNumbering(sources);
  const text = parts.map((part) => numbering.push(part)).join('') + numbering.flush();
  return { text, numbering };
}

/** Splits `text` at the given cut points. */
function split(text: string, cuts: number[]): string[] {
  const points = [...new Set(cuts.map((cut) => cut % (text.length + 1)))].sort((a, b) => a - b);
  const parts: string[] = [];
  let from = 0;
  for (const point of points) {
    parts.push(text.slice(from, point));
    from = point;
  }
  parts.push(text.slice(from));
  return parts;
}

describe('CitationNumbering', () => {
  it('numbers known review ids by their place in the sources, grouped ones too', () => {
    const { text } = run(['Spicy [reviews.csv:0], oily [reviews.csv:1; reviews.csv:0] and [source: reviews.csv:2].']);
    expect(text).toBe('Spicy [1], oily [2, 1] and [3].');
  });

  it('leaves brackets that are not citations as they are', () => {
    const { text } = run(['A list [see below], an array [1, 2] and [reviews.csv:9] stay. [unclosed']);
    expect(text).toBe('A list [see below], an array [1, 2] and [reviews.csv:9] stay. [unclosed');
  });

  it('gives the same text however the answer is split into deltas', () => {
    const answer = 'Fragrant [reviews.csv:0] but [oily] [reviews.csv:1, reviews.csv:2]; nothing [else.';
    const whole = run([answer]).text;
    fc.assert(
      fc.property(fc.array(fc.nat(), { maxLength: 12 }), (cuts) => {
        expect(run(split(answer, cuts)).text).toBe(whole);
      }),
    );
  });

  it('lists the cited sources as a footer, or all of them when none was cited', () => {
    const cited = run(['Spicy [reviews.csv:1].']).numbering.footer();
    expect(cited).toBe('\n\nSources:\n[2] Saffron House, 3/5, 2024-03-02: "Too oily for me." (reviews.csv, row 1)');
    const none = run(['No citations here.']).numbering.footer();
    expect(none.split('\n').filter((line) => line.startsWith('['))).toHaveLength(3);
    expect(new CitationNumbering([]).footer()).toBe('');
  });

  it('never holds back more than a bracket can hold, so a stray [ does not swallow the answer', () => {
    const numbering = new CitationNumbering(sources);
    const sent = numbering.push(`[${'x'.repeat(500)}`);
    expect(sent.length).toBeGreaterThan(250);
  });
});

describe('StopSequences', () => {
  it('cuts before the first stop sequence, even when it is split across deltas', () => {
    const stops = new StopSequences(['END', '\n\n']);
    const out = ['one two E', 'N', 'D three'].map((part) => stops.push(part)).join('') + stops.flush();
    expect(out).toBe('one two ');
    expect(stops.hit).toBe(true);
  });

  it('holds back only a tail that could still start a stop sequence', () => {
    const stops = new StopSequences(['STOP']);
    expect(stops.push('hello ST')).toBe('hello ');
    expect(stops.push('ART')).toBe('START');
    expect(stops.flush()).toBe('');
    expect(stops.hit).toBe(false);
  });

  it('passes everything on without stop sequences, and agrees with a whole-text search for any split', () => {
    expect(new StopSequences().push('anything')).toBe('anything');
    const text = 'alpha beta gamma delta';
    fc.assert(
      fc.property(fc.constantFrom('beta', 'a g', 'zeta', 'delta'), fc.array(fc.nat(), { maxLength: 8 }), (stop, cuts) => {
        const stops = new StopSequences([stop]);
        const out = split(text, cuts).map((part) => stops.push(part)).join('') + stops.flush();
        const at = text.indexOf(stop);
        expect(out).toBe(at < 0 ? text : text.slice(0, at));
      }),
    );
  });
});
