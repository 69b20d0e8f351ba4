/**
 * Splits a byte stream into parsed NDJSON values. Lines may be split across chunks and a chunk
 * may hold many lines; blank lines are skipped. A malformed line throws `SyntaxError` naming it.
 */
export async function* readNdjson(
  stream: ReadableStream<Uint8Array> | AsyncIterable<Uint8Array>,
  options: { maxLineBytes?: number } = {},
): AsyncGenerator<unknown> {
  for await (const batch of readNdjsonBatches(stream, options)) yield* batch;
}

/**
 * `readNdjson` by chunk: the values of the complete lines each chunk brings, in one array (never
 * empty), for a relay that handles what arrived together in one step instead of one async step
 * per value. A malformed line throws `SyntaxError` after the values before it were yielded.
 */
export async function* readNdjsonBatches(
  stream: ReadableStream<Uint8Array> | AsyncIterable<Uint8Array>,
  options: { maxLineBytes?: number } = {},
): AsyncGenerator<unknown[]> {
  const maxLine = options.maxLineBytes ?? 1024 * 1024;
  const decoder = new TextDecoder();
  let buffer = '';
  for await (const chunk of stream as AsyncIterable<Uint8Array>) {
    buffer += decoder.decode(chunk, { stream: true });
    let newline = buffer.indexOf('\n');
    if (newline >= 0) {
      const values: unknown[] = [];
      let start = 0;
      try {
        while (newline >= 0) {
          const line = buffer.slice(start, newline).trim();
          start = newline + 1;
          if (line.length > 0) values.push(parseLine(line));
          newline = buffer.indexOf('\n', start);
        }
      } catch (error) {
        if (values.length > 0) yield values;
        throw error;
      }
      buffer = buffer.slice(start);
      if (values.length > 0) yield values;
    }
    if (buffer.length > maxLine) throw new SyntaxError(`NDJSON line longer than ${maxLine} bytes`);
  }
  buffer += decoder.decode();
  const rest = buffer.trim();
  if (rest.length > 0) yield [parseLine(rest)];
}

function parseLine(line: string): unknown {
  try {
    return JSON.parse(line) as unknown;
  } catch (cause) {
    throw new SyntaxError(`malformed NDJSON line: ${line.slice(0, 120)}`, { cause });
  }
}

/** Serialises one value as an NDJSON line. */
export function ndjsonLine(value: unknown): string {
  return `${JSON.stringify(value)}\n`;
}
