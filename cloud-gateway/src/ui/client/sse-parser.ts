/** One server-sent event as read off the wire. */
export interface ServerSentMessage {
  event: string;
  data: string;
  id?: string;
}

/**
 * Incremental parser for `text/event-stream` (WHATWG HTML, "Parsing an event stream"): feed it
 * decoded chunks as they arrive, in any split, and it returns the events completed so far.
 */
export class ServerSentEventParser {
  private buffer = '';
  private data: string[] = [];
  private event = '';
  private id: string | undefined;

  push(chunk: string): ServerSentMessage[] {
    this.buffer += chunk;
    const messages: ServerSentMessage[] = [];
    for (;;) {
      const match = /\r\n|\r|\n/.exec(this.buffer);
      if (!match) break;
      // a lone "\r" at the end may be the first half of "\r\n": wait for more input
      if (match[0] === '\r' && match.index === this.buffer.length - 1) break;
      const line = this.buffer.slice(0, match.index);
      this.buffer = this.buffer.slice(match.index + match[0].length);
      const message = this.line(line);
      if (message) messages.push(message);
    }
    return messages;
  }

  /** Dispatches what is left when the stream ends without a final blank line. */
  end(): ServerSentMessage[] {
    const messages = this.buffer === '' ? [] : this.push('\n');
    const last = this.line('');
    if (last) messages.push(last);
    return messages;
  }

  private line(line: string): ServerSentMessage | undefined {
    if (line === '') {
      if (this.data.length === 0) {
        this.event = '';
        return undefined;
      }
      const message: ServerSentMessage = { event: this.event || 'message', data: this.data.join('\n') };
      if (this.id !== undefined) message.id = this.id;
      this.data = [];
      this.event = '';
      return message;
    }
    if (line.startsWith(':')) return undefined;
    const colon = line.indexOf(':');
    const field = colon === -1 ? line : line.slice(0, colon);
    let value = colon === -1 ? '' : line.slice(colon + 1);
    if (value.startsWith(' ')) value = value.slice(1);
    if (field === 'data') this.data.push(value);
    else if (field === 'event') this.event = value;
    else if (field === 'id' && !value.includes('\0')) this.id = value;
    return undefined;
  }
}
