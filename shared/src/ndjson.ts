/**
 * Splits a byte stream into parsed NDJSON values. Lines may be split across chunks and a chunk
 * may hold many lines; blank lines are skipped. A malformed line throws `SyntaxError` naming it.
 */
export async function* readNdjson(
  stream: ReadableStream<Uint8Array> | AsyncIterable<Uint8Array>,
  options: { maxLineBytes?: number } = {},
): AsyncGenerator<unknown> {
  const maxLine = options.maxLineBytes ?? 1024 * 1024;
  const decoder = new TextDecoder();
  let buffer = '';
  for await (const chunk of stream as AsyncIterable<Uint8Array>) {
    buffer += decoder.decode(chunk, { stream: true });
    let newline = buffer.indexOf('\n');
    while (newline >= 0) {
      const line = buffer.slice(0, newline).trim();
      buffer = buffer.slice(newline + 1);
      if (line.length > 0) yield parseLine(line);
      newline = buffer.indexOf('\n');
    }
    if (buffer.length > maxLine) throw new SyntaxError(`NDJSON line longer than ${maxLine} bytes`);
  }
  buffer += decoder.decode();
  const rest = buffer.trim();
  if (rest.length > 0) yield parseLine(rest);
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
