/** Strings no stream's constant fields contain (checked: a template that does not split is not used). */
const SLOTS = ['\u0000slot-a\u0000', '\u0000slot-b\u0000'] as const;

/** `text` cut at the JSON of each placeholder, or undefined unless each occurs exactly once, in order. */
function splitAt(text: string, placeholders: readonly string[]): string[] | undefined {
  const parts: string[] = [];
  let rest = text;
  for (const placeholder of placeholders) {
    const pieces = rest.split(JSON.stringify(placeholder));
    if (pieces.length !== 2) return undefined;
    parts.push(pieces[0]!);
    rest = pieces[1]!;
  }
  parts.push(rest);
  return parts;
}

/**
 * The frames of one stream that differ only in one string field (the answer's text pieces: the
 * chat's `answer-delta` SSE frames, the OpenAI stream's chunks, about 20–25 per answer): `render` runs once with a placeholder, and each frame is the
 * constant text around `JSON.stringify(value)`. The same bytes as `render(value)`, since a string
 * serialises the same wherever it sits, without building and walking the object per frame (about
 * a tenth of the CPU). Falls back to `render` if the placeholder does not split its output.
 */
export function stringFieldFrame(render: (value: string) => string): (value: string) => string {
  const parts = splitAt(render(SLOTS[0]), [SLOTS[0]]);
  if (!parts) return render;
  const [start, end] = parts as [string, string];
  return (value) => `${start}${JSON.stringify(value)}${end}`;
}

/** `stringFieldFrame` for frames that differ in two string fields (an Ollama line's time and text). */
export function stringFieldsFrame(render: (first: string, second: string) => string): (first: string, second: string) => string {
  const parts = splitAt(render(SLOTS[0], SLOTS[1]), SLOTS);
  if (!parts) return render;
  const [start, middle, end] = parts as [string, string, string];
  return (first, second) => `${start}${JSON.stringify(first)}${middle}${JSON.stringify(second)}${end}`;
}
