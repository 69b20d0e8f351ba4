import type { StreamEvent } from '@review-assistant/shared';

type Dict = Record<string, unknown>;

const isDict = (value: unknown): value is Dict => typeof value === 'object' && value !== null && !Array.isArray(value);
const text = (value: unknown): string | undefined => (typeof value === 'string' ? value : undefined);
const num = (value: unknown): number | undefined => (typeof value === 'number' && Number.isFinite(value) ? value : undefined);

/**
 * Reads one stream event from untrusted JSON. The server validates events with the shared zod
 * schemas; the browser only checks the fields it renders (bundling zod would triple the UI's size)
 * and rebuilds the object, so unexpected shapes are dropped instead of reaching the DOM code.
 */
export function readStreamEvent(value: unknown): StreamEvent | undefined {
  if (!isDict(value)) return undefined;
  switch (value['type']) {
    case 'intent': {
      const name = text(value['name']);
      const confidence = num(value['confidence']);
      const route = value['route'];
      if (name === undefined || confidence === undefined) return undefined;
      if (route !== 'worker' && route !== 'smalltalk' && route !== 'decline') return undefined;
      return {
        type: 'intent',
        name,
        confidence,
        domain: text(value['domain']) ?? '',
        outOfScope: value['outOfScope'] === true,
        route,
      };
    }
    case 'sources': {
      const items = value['items'];
      if (!Array.isArray(items)) return undefined;
      const sources: Extract<StreamEvent, { type: 'sources' }>['items'] = [];
      for (const item of items) {
        if (!isDict(item)) continue;
        const id = text(item['id']);
        const body = text(item['text']);
        const metadata = isDict(item['metadata']) ? item['metadata'] : {};
        if (id === undefined || body === undefined) continue;
        sources.push({
          id,
          score: num(item['score']) ?? 0,
          text: body,
          metadata: {
            source: text(metadata['source']) ?? '',
            row: num(metadata['row']) ?? 0,
            restaurant: text(metadata['restaurant']) ?? null,
            rating: num(metadata['rating']) ?? null,
            date: text(metadata['date']) ?? null,
            title: text(metadata['title']) ?? null,
            reviewer: text(metadata['reviewer']) ?? null,
          },
        });
      }
      return { type: 'sources', items: sources };
    }
    case 'answer-delta': {
      const delta = text(value['text']);
      return delta === undefined ? undefined : { type: 'answer-delta', text: delta };
    }
    case 'answer-end': {
      const usage = isDict(value['usage']) ? value['usage'] : {};
      const timings = isDict(value['timings']) ? value['timings'] : {};
      const event: StreamEvent = {
        type: 'answer-end',
        usage: {
          promptTokens: num(usage['promptTokens']) ?? null,
          completionTokens: num(usage['completionTokens']) ?? null,
        },
        timings: {
          firstTokenMs: num(timings['firstTokenMs']) ?? null,
          totalMs: num(timings['totalMs']) ?? null,
        },
      };
      const backend = text(value['backend']);
      const model = text(value['model']);
      if (backend !== undefined) event.backend = backend;
      if (model !== undefined) event.model = model;
      return event;
    }
    case 'error': {
      return {
        type: 'error',
        code: text(value['code']) ?? 'internal',
        message: text(value['message']) ?? 'Something went wrong.',
        retryable: value['retryable'] === true,
      };
    }
    default:
      return undefined;
  }
}

/** True for the events that end a turn. */
export function isTerminal(event: StreamEvent): boolean {
  return event.type === 'answer-end' || event.type === 'error';
}
