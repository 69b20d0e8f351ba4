import { StreamEventSchema, type StreamEvent } from '@review-assistant/shared';
import { readSse } from '@review-assistant/cloud-gateway/testing';

/** An event as the client saw it, with the time it arrived. */
export type TimedEvent = StreamEvent & { receivedAt: number };

/** One `POST /api/chat` in flight, read event by event. */
export interface ChatStream {
  status: number;
  headers: Headers;
  events: TimedEvent[];
  /** Resolves when the response ended (or failed); `endedAt` is when. */
  finished: Promise<{ endedAt: number; failure: string | undefined }>;
  /** Resolves with the first event of `type` (rejects after `timeoutMs`). */
  waitFor(type: StreamEvent['type'], timeoutMs: number): Promise<TimedEvent>;
  /** Concatenated `answer-delta` texts so far. */
  answer(): string;
  abort(): void;
}

/** Starts a chat turn over SSE; the events are read in the background as they arrive. */
export async function startChat(gatewayUrl: string, message: string, options: { headers?: Record<string, string> } = {}): Promise<ChatStream> {
  const controller = new AbortController();
  const response = await fetch(`${gatewayUrl}/api/chat`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', accept: 'text/event-stream', ...options.headers },
    body: JSON.stringify({ message }),
    signal: controller.signal,
  });
  const events: TimedEvent[] = [];
  const wakers = new Set<() => void>();
  const finished = (async () => {
    let failure: string | undefined;
    try {
      if (response.body && response.headers.get('content-type')?.includes('text/event-stream')) {
        for await (const { data } of readSse(response.body)) {
          events.push({ ...StreamEventSchema.parse(data), receivedAt: Date.now() });
          for (const wake of wakers) wake();
        }
      } else {
        await response.arrayBuffer();
      }
    } catch (error) {
      failure = error instanceof Error ? error.message : String(error);
    }
    for (const wake of wakers) wake();
    return { endedAt: Date.now(), failure };
  })();
  let ended = false;
  void finished.then(() => (ended = true));
  return {
    status: response.status,
    headers: response.headers,
    events,
    finished,
    async waitFor(type, timeoutMs) {
      const deadline = Date.now() + timeoutMs;
      for (;;) {
        const found = events.find((event) => event.type === type);
        if (found) return found;
        if (ended) throw new Error(`the stream ended without a ${type} event: ${JSON.stringify(events.map((event) => event.type))}`);
        const left = deadline - Date.now();
        if (left <= 0) throw new Error(`no ${type} event within ${timeoutMs} ms`);
        await new Promise<void>((resolve) => {
          const timer = setTimeout(resolve, Math.min(left, 50));
          wakers.add(() => {
            clearTimeout(timer);
            resolve();
          });
        });
        wakers.clear();
      }
    },
    answer: () => events.flatMap((event) => (event.type === 'answer-delta' ? [event.text] : [])).join(''),
    abort: () => controller.abort(),
  };
}

/** Runs a whole chat turn and returns its events. */
export async function chatOnce(gatewayUrl: string, message: string, options: { headers?: Record<string, string> } = {}): Promise<{ status: number; events: TimedEvent[]; answer: string; headers: Headers }> {
  const stream = await startChat(gatewayUrl, message, options);
  await stream.finished;
  return { status: stream.status, events: stream.events, answer: stream.answer(), headers: stream.headers };
}
