import { describe, expect, it } from 'vitest';
import { extractFeatures, normalizeText, type FeatureConfig } from './text-features.js';

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
});
