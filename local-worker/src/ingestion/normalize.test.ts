import { describe, expect, it } from 'vitest';
import { cleanText, normalizeDate, normalizeRating } from './normalize.js';

describe('normalizeRating', () => {
  it('keeps whole and half stars', () => {
    expect(normalizeRating('5')).toBe(5);
    expect(normalizeRating('4.5')).toBe(4.5);
    expect(normalizeRating(' 3,5 ')).toBe(3.5);
    expect(normalizeRating('1.5')).toBe(1.5);
  });

  it('turns Like, empty and unreadable values into null', () => {
    expect(normalizeRating('Like')).toBeNull();
    expect(normalizeRating('')).toBeNull();
    expect(normalizeRating(undefined)).toBeNull();
    expect(normalizeRating('five')).toBeNull();
    expect(normalizeRating('7')).toBeNull();
  });

  it('rescales ratings given on another scale', () => {
    expect(normalizeRating('8/10')).toBe(4);
    expect(normalizeRating('4.5/5')).toBe(4.5);
  });
});

describe('normalizeDate', () => {
  it('reads ISO dates and date-times', () => {
    expect(normalizeDate('2024-03-15')).toEqual({ date: '2024-03-15', epoch: Date.UTC(2024, 2, 15) / 1000 });
    expect(normalizeDate('2024-03-15T10:30:00Z')?.epoch).toBe(Date.UTC(2024, 2, 15, 10, 30) / 1000);
  });

  it('reads the month/day/year times of the Zomato export', () => {
    expect(normalizeDate('5/25/2019 15:54')).toEqual({ date: '2019-05-25', epoch: Date.UTC(2019, 4, 25, 15, 54) / 1000 });
  });

  it('rejects impossible or unknown dates', () => {
    expect(normalizeDate('2024-02-30')).toBeNull();
    expect(normalizeDate('13/01/2020')).toBeNull();
    expect(normalizeDate('yesterday')).toBeNull();
    expect(normalizeDate('')).toBeNull();
  });
});

describe('cleanText', () => {
  it('trims, unifies line ends and drops control characters but keeps emoji', () => {
    expect(cleanText('  a\r\nb\u0000c 😋 ')).toBe('a\nbc 😋');
  });
});
