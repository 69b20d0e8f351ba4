import { describe, expect, it } from 'vitest';
import { expandTerms } from './query-expansion.js';
import { terms, words } from './tokenize.js';

describe('terms', () => {
  it('drops stop words and question words, and stems English words', () => {
    expect(terms('How do they handle the deliveries?')).toEqual(['handl', 'deliver']);
  });

  it('lets adjectives meet their nouns', () => {
    expect(terms('greasy salty')).toEqual(terms('grease salt'));
  });

  it('keeps other scripts, accents and emoji as tokens', () => {
    expect(words('Smørrebrød é 😋 naïve')).toEqual(['smørrebrød', 'é', '😋', 'naïve']);
    expect(terms("couldn't")).toEqual([]);
  });
});

describe('expandTerms', () => {
  it('adds related diner words but not the query words themselves', () => {
    const related = expandTerms(terms('children'));
    expect(related).toEqual(expect.arrayContaining(terms('kids family')));
    expect(related).not.toContain(terms('children')[0]);
    expect(expandTerms(terms('jupiter'))).toEqual([]);
  });
});
