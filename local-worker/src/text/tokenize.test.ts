import { describe, expect, it } from 'vitest';
import { expandTerms } from './query-expansion.js';
import { spelledWords, terms, words } from './tokenize.js';

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

describe('words and spelledWords', () => {
  const text = "Couldn’t find the chef's table; rock'n'roll in the '90s, the guests' coats";

  it('keeps in-word apostrophes for the word vectors, as the ASCII apostrophe', () => {
    expect(spelledWords(text)).toEqual(["couldn't", 'find', 'the', "chef's", 'table', "rock'n'roll", 'in', 'the', '90s', 'the', 'guests', 'coats']);
  });

  it('drops them for terms and n-grams, as before', () => {
    expect(words(text)).toEqual(['couldnt', 'find', 'the', 'chefs', 'table', 'rocknroll', 'in', 'the', '90s', 'the', 'guests', 'coats']);
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
