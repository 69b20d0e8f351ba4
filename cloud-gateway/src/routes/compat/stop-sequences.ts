/**
 * Cuts a streamed text at the first of the client's stop sequences (OpenAI `stop`, Ollama
 * `options.stop`). The tail that could be the start of a stop sequence is held back until the
 * next delta decides it, so a sequence split across deltas is still found.
 */
export class StopSequences {
  private held = '';
  private stopped = false;
  private readonly sequences: readonly string[];

  constructor(sequences: readonly string[] = []) {
    this.sequences = sequences.filter((sequence) => sequence.length > 0);
  }

  /** True once a stop sequence was seen; later text is dropped. */
  get hit(): boolean {
    return this.stopped;
  }

  push(text: string): string {
    if (this.stopped) return '';
    if (this.sequences.length === 0) return text;
    const buffer = this.held + text;
    let cut = -1;
    for (const sequence of this.sequences) {
      const at = buffer.indexOf(sequence);
      if (at >= 0 && (cut < 0 || at < cut)) cut = at;
    }
    if (cut >= 0) {
      this.stopped = true;
      this.held = '';
      return buffer.slice(0, cut);
    }
    // Hold back only the longest tail that could still grow into a stop sequence.
    let keep = 0;
    for (const sequence of this.sequences) {
      for (let length = Math.min(sequence.length - 1, buffer.length); length > keep; length -= 1) {
        if (buffer.endsWith(sequence.slice(0, length))) {
          keep = length;
          break;
        }
      }
    }
    this.held = buffer.slice(buffer.length - keep);
    return buffer.slice(0, buffer.length - keep);
  }

  flush(): string {
    const rest = this.stopped ? '' : this.held;
    this.held = '';
    return rest;
  }
}
