import { AppError, isAppError } from '@review-assistant/shared';
import type { ChatRequest, ErrorEvent, StreamEvent } from '@review-assistant/shared';
import type { ChatModel, ChatUsage, Retriever } from '../ports.js';
import { buildGroundedMessages } from './grounded-prompt.js';
import type { QueryRewriter } from './query-rewriter.js';

/** Top-k reviews used for an answer when the request does not say. */
export const DEFAULT_CHAT_K = 5;

/** What the worker says when retrieval finds nothing above the relevance floor. */
export const NOTHING_FOUND_ANSWER =
  "The reviews I have don't cover that, so I can't answer it from them. Try naming a restaurant, a dish or something diners would mention (service, price, ambience).";

export interface ChatServiceOptions {
  retriever: Retriever;
  chatModel: ChatModel;
  queryRewriter: QueryRewriter;
  /** `ollama` or `offline`, reported in `answer-end`. */
  backend: string;
  /** @default performance.now */
  now?: () => number;
  /** Called with the standalone query each turn used (for logs and tests). */
  onQuery?: (query: string) => void;
}

/**
 * One chat turn, as the events of the wire contract: rewrite the message into a standalone query,
 * retrieve reviews, then stream a grounded answer: `sources` → `answer-delta`* → `answer-end`.
 * Nothing retrieved: a fixed "not covered" answer without a model call. Failures propagate as
 * typed errors (see `toErrorEvent`); aborting `signal` cancels the model request.
 */
export class ChatService {
  constructor(private readonly options: ChatServiceOptions) {}

  async *run(request: ChatRequest, signal?: AbortSignal): AsyncGenerator<StreamEvent> {
    const now = this.options.now ?? (() => performance.now());
    const started = now();
    const history = request.history ?? [];
    const query = await this.options.queryRewriter.rewrite(request.message, history, signal);
    this.options.onQuery?.(query);
    throwIfCancelled(signal);
    const sources = await this.options.retriever.retrieve(query, {
      k: request.k ?? DEFAULT_CHAT_K,
      filters: request.filters,
      signal,
    });
    throwIfCancelled(signal);
    const retrieved = now();
    yield { type: 'sources', items: sources };
    const model = this.options.chatModel;
    if (sources.length === 0) {
      yield { type: 'answer-delta', text: NOTHING_FOUND_ANSWER };
      yield {
        type: 'answer-end',
        usage: { promptTokens: 0, completionTokens: 0 },
        timings: { retrievalMs: retrieved - started, firstTokenMs: now() - started, generationMs: 0, totalMs: now() - started },
        backend: this.options.backend,
        model: model.modelId,
      };
      return;
    }
    let usage: ChatUsage = {};
    let firstTokenMs: number | null = null;
    const messages = buildGroundedMessages(request.message === query ? query : `${request.message}\n(standalone: ${query})`, sources, history);
    const { maxTokens, temperature } = request.generation ?? {};
    for await (const chunk of model.stream(messages, {
      ...(signal ? { signal } : {}),
      ...(maxTokens === undefined ? {} : { maxTokens }),
      ...(temperature === undefined ? {} : { temperature }),
      onUsage: (value) => (usage = value),
    })) {
      if (chunk.text.length === 0) continue;
      firstTokenMs ??= now() - started;
      yield { type: 'answer-delta', text: chunk.text };
    }
    throwIfCancelled(signal);
    const finished = now();
    yield {
      type: 'answer-end',
      usage: { promptTokens: usage.promptTokens ?? null, completionTokens: usage.completionTokens ?? null },
      timings: { retrievalMs: retrieved - started, firstTokenMs, generationMs: finished - retrieved, totalMs: finished - started },
      backend: this.options.backend,
      model: model.modelId,
    };
  }
}

function throwIfCancelled(signal: AbortSignal | undefined): void {
  if (signal?.aborted) throw new AppError('cancelled', 'the client went away');
}

/** The `error` event for any failure: typed errors keep code and retryability; others become `internal`. */
export function toErrorEvent(error: unknown): ErrorEvent {
  if (isAppError(error)) return { type: 'error', code: error.code, message: error.message, retryable: error.isRetryable };
  return { type: 'error', code: 'internal', message: 'the worker failed while answering; see its log', retryable: true };
}
