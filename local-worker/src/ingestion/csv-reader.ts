import { readFile } from 'node:fs/promises';
import { AppError } from '@review-assistant/shared';
import { CsvError, parse } from 'csv-parse/sync';

/** The CSV could not be read or parsed; nothing was written. */
export class InvalidCsvError extends AppError {
  constructor(message: string, options: { cause?: unknown; line?: number } = {}) {
    super('invalid_csv', message, { cause: options.cause, details: options.line === undefined ? undefined : { line: options.line } });
  }
}

export interface CsvTable {
  header: string[];
  /** Data rows (header excluded), each as column name → raw value. Index = 0-based data row. */
  rows: Record<string, string>[];
}

/**
 * Parses CSV text with a real parser: quoted fields with newlines and doubled quotes, CRLF or LF,
 * a UTF-8 byte-order mark, any Unicode. Rows with a different number of fields than the header are
 * an error (naming the line), not silently shifted columns.
 */
export function parseCsv(text: string, source = 'CSV'): CsvTable {
  let records: string[][];
  try {
    records = parse(text, { bom: true, skip_empty_lines: true, relax_column_count: false, trim: false }) as string[][];
  } catch (error) {
    if (error instanceof CsvError) {
      const line = (error as CsvError & { lines?: number }).lines;
      throw new InvalidCsvError(`${source} is not valid CSV${line === undefined ? '' : ` (line ${line})`}: ${error.message}`, {
        cause: error,
        ...(line === undefined ? {} : { line }),
      });
    }
    throw new InvalidCsvError(`${source} could not be parsed: ${error instanceof Error ? error.message : String(error)}`, { cause: error });
  }
  const [headerRow, ...data] = records;
  if (!headerRow || headerRow.length === 0) throw new InvalidCsvError(`${source} is empty: expected a header row such as "Restaurant,Review,Rating"`);
  const header = headerRow.map((name) => name.trim());
  const blank = header.findIndex((name) => name === '');
  if (blank >= 0) throw new InvalidCsvError(`${source} has an empty column name in its header (column ${blank + 1})`);
  const duplicate = header.find((name, index) => header.indexOf(name) !== index);
  if (duplicate !== undefined) throw new InvalidCsvError(`${source} has the column "${duplicate}" twice in its header`);
  const rows = data.map((fields) => Object.fromEntries(header.map((name, index) => [name, fields[index] ?? ''])));
  return { header, rows };
}

/** Reads and parses a CSV file (UTF-8). */
export async function readCsvFile(path: string, source = path): Promise<CsvTable> {
  let text: string;
  try {
    text = await readFile(path, 'utf8');
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    throw new InvalidCsvError(code === 'ENOENT' ? `no such file: ${path}` : `cannot read ${path}: ${(error as Error).message}`, { cause: error });
  }
  return parseCsv(text, source);
}
