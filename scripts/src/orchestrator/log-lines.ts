import pc from 'picocolors';

/** Colour of each service's prefix. */
export type ServiceColor = 'cyan' | 'magenta' | 'yellow' | 'green' | 'blue';

const LEVELS: Record<number, string> = { 10: 'TRACE', 20: 'DEBUG', 30: 'INFO', 40: 'WARN', 50: 'ERROR', 60: 'FATAL' };
const HIDDEN_FIELDS = new Set(['level', 'time', 'pid', 'hostname', 'msg', 'v']);

function formatValue(value: unknown): string {
  if (typeof value === 'string') return /\s/.test(value) ? JSON.stringify(value) : value;
  return JSON.stringify(value);
}

/**
 * Turns one line of a service's output into a readable line: pino JSON lines become
 * `LEVEL message key=value ...`; anything else is passed through.
 */
export function formatLogLine(line: string): string {
  if (!line.startsWith('{')) return line;
  let record: unknown;
  try {
    record = JSON.parse(line);
  } catch {
    return line;
  }
  if (typeof record !== 'object' || record === null || !('level' in record)) return line;
  const fields = record as Record<string, unknown>;
  const level = typeof fields.level === 'number' ? (LEVELS[fields.level] ?? String(fields.level)) : String(fields.level).toUpperCase();
  const extras = Object.entries(fields)
    .filter(([key]) => !HIDDEN_FIELDS.has(key))
    .map(([key, value]) => `${key}=${formatValue(value)}`);
  const colouredLevel = level === 'ERROR' || level === 'FATAL' ? pc.red(level) : level === 'WARN' ? pc.yellow(level) : pc.dim(level);
  return [colouredLevel, typeof fields.msg === 'string' ? fields.msg : '', ...extras].filter((part) => part !== '').join(' ');
}

/** Prints lines as `[name] line` with a coloured prefix (plain when colours are off: NO_COLOR, no TTY). */
export function createPrefixedPrinter(name: string, color: ServiceColor, write: (text: string) => void = (text) => process.stdout.write(text)) {
  const prefix = pc[color](`[${name}]`);
  return (line: string) => write(`${prefix} ${formatLogLine(line)}\n`);
}
