import { describe, expect, it } from 'vitest';
import { InvalidCsvError, parseCsv } from './csv-reader.js';
import { detectColumns } from './column-mapping.js';

describe('parseCsv', () => {
  it('reads quoted newlines, doubled quotes, CRLF, a BOM and emoji', () => {
    const text = '\uFEFFRestaurant,Review,Rating\r\n"Café ☕","Great ""flat white""\r\nand cake 😋",4.5\r\nB,plain,Like\r\n';
    const table = parseCsv(text);
    expect(table.header).toEqual(['Restaurant', 'Review', 'Rating']);
    expect(table.rows).toEqual([
      { Restaurant: 'Café ☕', Review: 'Great "flat white"\r\nand cake 😋', Rating: '4.5' },
      { Restaurant: 'B', Review: 'plain', Rating: 'Like' },
    ]);
  });

  it('rejects an unterminated quote with an invalid_csv error naming the line', () => {
    const broken = 'Title,Review\nok,fine\nbad,"never closed\n';
    expect(() => parseCsv(broken, 'broken.csv')).toThrow(InvalidCsvError);
    try {
      parseCsv(broken, 'broken.csv');
    } catch (error) {
      expect((error as InvalidCsvError).code).toBe('invalid_csv');
      expect((error as InvalidCsvError).message).toMatch(/broken\.csv is not valid CSV \(line \d+\)/);
    }
  });

  it('rejects rows with a different number of fields than the header', () => {
    expect(() => parseCsv('a,b\n1,2\n3,4,5\n')).toThrow(/not valid CSV/);
  });

  it('rejects an empty file and duplicate column names', () => {
    expect(() => parseCsv('')).toThrow(/empty/);
    expect(() => parseCsv('Review,Review\nx,y\n')).toThrow(/twice/);
  });
});

describe('detectColumns', () => {
  it('maps the realistic CSV header', () => {
    expect(detectColumns(['Title', 'Date', 'Rating', 'Review'])).toEqual({ text: 'Review', rating: 'Rating', restaurant: null, date: 'Date', title: 'Title', reviewer: null });
  });

  it('maps the Zomato CSV header (Time is the date)', () => {
    expect(detectColumns(['Restaurant', 'Reviewer', 'Review', 'Rating', 'Metadata', 'Time', 'Pictures'])).toEqual({
      text: 'Review',
      rating: 'Rating',
      restaurant: 'Restaurant',
      date: 'Time',
      title: null,
      reviewer: 'Reviewer',
    });
  });

  it('maps the sample CSV header', () => {
    expect(detectColumns(['id', 'restaurant', 'reviewer', 'date', 'rating', 'title', 'review'])).toMatchObject({ text: 'review', restaurant: 'restaurant', title: 'title' });
  });

  it('lets flags override detection and rejects unknown columns', () => {
    expect(detectColumns(['body_text', 'stars'], { text: 'body_text', rating: 'stars' })).toMatchObject({ text: 'body_text', rating: 'stars' });
    expect(() => detectColumns(['a', 'b'])).toThrow(/no review text column/);
    expect(() => detectColumns(['Review'], { rating: 'Score' })).toThrow(/--rating-column "Score" is not a column/);
  });
});
