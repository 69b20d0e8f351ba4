import type { Logger } from 'pino';
import type { ChatRequest, Route, SourceItem } from '@review-assistant/shared';
import { runChatTurn, type AdmittedTurn, type ChatTurnDeps } from '../../chat/chat-turn.js';
import type { ChatChannel } from '../../chat/chat-turn-outcome.js';
import { CitationNumbering } from './citation-numbering.js';
import { StopSequences } from './stop-sequences.js';

export interface CompatTurnContext {
  requestId: string;
  channel: Extract<ChatChannel, 'openai' | 'ollama'>;
  /** Aborted when the client goes away; the worker request is aborted with it. */
  signal: AbortSignal;
  logger: Logger;
  /** The client's stop sequences: the answer ends before the first one. */
  stop?: readonly string[];
  /** The client's token budget; an answer that used all of it ends with `length`. */
  maxTokens?: number;
  /** What admission (`admitTurn`) decided for the request. */
  admitted: AdmittedTurn;
}

export type FinishReason = 'stop' | 'length';

/** A source as the compatible APIs show it: its number in the answer's citations, plus the review. */
export interface NumberedSource extends SourceItem {
  number: number;
}

export interface CompatTurnEnd {
  type: 'end';
  finishReason: FinishReason;
  route: Route;
  sources: NumberedSource[];
  usage: { promptTokens: number; completionTokens: number };
  /** Milliseconds of the worker's phases when it reported them. */
  timings: { totalMs: number; retrievalMs: number | null; generationMs: number | null };
}

/** What a compatible API sends: answer text (citations numbered), then the end, or an error. */
export type CompatTurnPiece =
  | { type: 'text'; text: string }
  | CompatTurnEnd
  | { type: 'error'; code: string; message: string; retryable: boolean; afterText: boolean };

/**
 * One chat turn for the OpenAI- and Ollama-compatible APIs: the same `runChatTurn` as the chat UI
 * (intent routing, the worker pool, the interaction record with the API's channel), with the
 * answer's `[review-id]` citations numbered, a plain-text list of the sources at its end, the
 * client's stop sequences applied, and a protocol-neutral end (finish reason, usage, sources).
 * A stop sequence ends the turn early (the worker request is closed); the turn still counts as ok.
 */
export async function* runCompatTurn(deps: ChatTurnDeps, request: ChatRequest, context: CompatTurnContext): AsyncGenerator<CompatTurnPiece> {
  const started = performance.now();
  let numbering = new CitationNumbering();
  const stops = new StopSequences(context.stop);
  let route: Route = 'worker';
  let wroteText = false;
  // Iterated with `for ... of` below: `yield*` over an array in an async generator awaits each
  // step (about 4 µs per answer of 25 pieces).
  const send = (text: string): CompatTurnPiece[] => {
    if (text.length === 0) return [];
    wroteText = true;
    return [{ type: 'text', text }];
  };
  const turn = runChatTurn(deps, request, { requestId: context.requestId, channel: context.channel, signal: context.signal, logger: context.logger, admitted: context.admitted });
  for await (const event of turn) {
    if (event.type === 'intent') route = event.route;
    else if (event.type === 'sources') numbering = new CitationNumbering(event.items);
    else if (event.type === 'answer-delta') {
      for (const piece of send(stops.push(numbering.push(event.text)))) yield piece;
      if (stops.hit) break;
    } else if (event.type === 'error') {
      yield { type: 'error', code: event.code, message: event.message, retryable: event.retryable, afterText: wroteText };
      return;
    } else {
      const completionTokens = event.usage.completionTokens ?? 0;
      const finishReason: FinishReason = context.maxTokens !== undefined && completionTokens >= context.maxTokens ? 'length' : 'stop';
      for (const piece of send(stops.push(numbering.flush()))) yield piece;
      for (const piece of send(stops.flush())) yield piece;
      if (!stops.hit) for (const piece of send(numbering.footer())) yield piece;
      yield end(finishReason, event.usage.promptTokens ?? 0, completionTokens, event.timings.retrievalMs ?? null, event.timings.generationMs ?? null);
      return;
    }
  }
  if (context.signal.aborted) return;
  // Only a stop sequence leaves the loop early without an end event.
  yield end('stop', 0, 0, null, null);

  function end(finishReason: FinishReason, promptTokens: number, completionTokens: number, retrievalMs: number | null, generationMs: number | null): CompatTurnEnd {
    return {
      type: 'end',
      finishReason,
      route,
      sources: numbering.numbered().map(({ number, source }) => ({ number, ...source })),
      usage: { promptTokens, completionTokens },
      timings: { totalMs: performance.now() - started, retrievalMs, generationMs },
    };
  }
}
