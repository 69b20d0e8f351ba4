import { describe, expect, it } from 'vitest';
import { createRandom } from '@review-assistant/shared';
import { extractFeatures, normalizeText, normalizeUnicode, type FeatureConfig } from './text-features.js';

const charsOnly = (charScope: FeatureConfig['charScope']): FeatureConfig => ({ wordNgrams: [], charMin: 3, charMax: 3, hashBits: 22, charScope });
const idsOf = (text: string, config: FeatureConfig): number[] => [...extractFeatures(text, config).ids].sort((a, b) => a - b);

describe('extractFeatures', () => {
  it('takes character n-grams across word boundaries by default', () => {
    // " ab", "ab ", "b c", " cd", "cd "
    expect(idsOf('ab cd', charsOnly(undefined))).toHaveLength(5);
    expect(idsOf('ab cd', charsOnly('text'))).toEqual(idsOf('ab cd', charsOnly(undefined)));
    expect(idsOf('ab cd', charsOnly('text'))).not.toEqual(idsOf('cd ab', charsOnly('text')));
  });

  it('keeps character n-grams inside each word with charScope "words"', () => {
    // " ab", "ab ", " cd", "cd ": no gram spans the space, so word order does not matter
    expect(idsOf('ab cd', charsOnly('words'))).toHaveLength(4);
    expect(idsOf('ab cd', charsOnly('words'))).toEqual(idsOf('cd ab', charsOnly('words')));
    expect(idsOf('ab cd', charsOnly('words')).every((id) => idsOf('ab cd', charsOnly('text')).includes(id))).toBe(true);
  });

  it('weights repeated n-grams sublinearly', () => {
    const features = extractFeatures('ok ok', { wordNgrams: [1], charMin: 9, charMax: 9, hashBits: 22 });
    expect(features.ids).toHaveLength(1);
    expect(features.weights[0]).toBeCloseTo(1 + Math.log(2), 6);
  });

  it('normalises case, unicode and punctuation', () => {
    expect(normalizeText('  Ｈello,  WORLD’s  “best”!! ')).toBe("hello world's best");
  });

  it('gives an ASCII text the same string as the general path', () => {
    // every ASCII character, weighted towards the ones the rules treat specially
    const special = ["'", '`', ' ', ' ', '\t', '\n', '\r', '\v', '\f', '.', ',', '!', '?', '-', '"', '\u0000', '\u001f', '\u007f', 'A', 'Z', 'a', 'z', '0', '9'];
    const next = createRandom(17);
    const pick = (): string => (next() < 0.6 ? special[Math.floor(next() * special.length)]! : String.fromCharCode(Math.floor(next() * 128)));
    const texts = ['', ' ', "'", "''", '`', "it's", "'quoted'", "rock 'n' roll", "O'Brien's", 'ends with apostrophe\'', "a '' b", "a''b", "x'' 'y", 'Which restaurant has the best pasta?', 'CAPS and 123 digits'];
    for (let count = 0; count < 5000; count += 1) texts.push(Array.from({ length: Math.floor(next() * 24) }, pick).join(''));
    for (const text of texts) expect(normalizeText(text)).toBe(normalizeUnicode(text));
    // and a text with one character above ASCII takes the general path
    expect(normalizeText("Café's  ‘best’")).toBe("café's best");
  });
});
