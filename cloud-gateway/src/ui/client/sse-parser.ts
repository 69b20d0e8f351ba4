import { createParser, type EventSourceParser } from 'eventsource-parser';

/** One server-sent event as read off the wire. */
export interface ServerSentMessage {
  event: string;
  data: string;
  id?: string;
}

/**
 * The project's one `text/event-stream` reader (the browser client, the gateway's test harness, the
 * benchmarks), built on `eventsource-parser` (WHATWG "Parsing an event stream"): feed it decoded
 * chunks as they arrive, in any split, and it returns the events completed so far. Events without
 * data are not dispatched; the event type defaults to `message`.
 */
export class ServerSentEventParser {
  private readonly parser: EventSourceParser;
  private completed: ServerSentMessage[] = [];

  constructor() {
    this.parser = createParser({
      onEvent: ({ event, data, id }) => this.completed.push(id === undefined ? { event: event || 'message', data } : { event: event || 'message', data, id }),
    });
  }

  push(chunk: string): ServerSentMessage[] {
    this.parser.feed(chunk);
    return this.take();
  }

  /** Dispatches what is left when the stream ends without a final blank line. */
  end(): ServerSentMessage[] {
    // the end of the stream ends the last line and the event (a blank line after no data dispatches nothing)
    this.parser.feed('\n\n');
    this.parser.reset();
    return this.take();
  }

  private take(): ServerSentMessage[] {
    const messages = this.completed;
    this.completed = [];
    return messages;
  }
}

/** The events of a response body as they complete; leaving the loop early cancels the body. */
export async function* readServerSentEvents(body: ReadableStream<Uint8Array>): AsyncGenerator<ServerSentMessage> {
  const reader = body.getReader();
  const decoder = new TextDecoder();
  const parser = new ServerSentEventParser();
  let finished = false;
  try {
    while (!finished) {
      const { done, value } = await reader.read();
      finished = done;
      yield* done ? [...parser.push(decoder.decode()), ...parser.end()] : parser.push(decoder.decode(value, { stream: true }));
    }
  } finally {
    if (!finished) await reader.cancel().catch(() => undefined);
  }
}
