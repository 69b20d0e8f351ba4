import { AppError } from '@review-assistant/shared';
import type { SourceItem } from '@review-assistant/shared';
import type {
  ChatChunk,
  ChatMessage,
  ChatModel,
  ChatStreamOptions,
  EmbeddingModel,
  RetrieveOptions,
  Retriever,
} from '../ports.js';

/**
 * In-memory implementations of the worker ports for unit tests. Each records its calls; the
 * real ones (Chroma, hybrid retrieval, Ollama) are exercised by their own tests.
 */

export class RecordingRetriever implements Retriever {
  readonly calls: { query: string; options: RetrieveOptions }[] = [];

  constructor(private readonly answer: SourceItem[] | ((query: string, options: RetrieveOptions) => SourceItem[]) = []) {}

  async retrieve(query: string, options: RetrieveOptions = {}): Promise<SourceItem[]> {
    this.calls.push({ query, options });
    return typeof this.answer === 'function' ? this.answer(query, options) : this.answer;
  }
}

export interface ScriptedChatModelOptions {
  /** Tokens to stream. @default ['Good ', 'food.'] */
  tokens?: string[];
  /** Waits this long before each token (real timers). @default 0 */
  delayMs?: number;
  /** Never yields anything until aborted. */
  hang?: boolean;
  /** Throws this after the tokens. */
  failWith?: Error;
}

/** A chat model that streams scripted tokens, honours the abort signal and records what it saw. */
export class ScriptedChatModel implements ChatModel {
  readonly provider = 'scripted';
  readonly modelId = 'scripted-v1';
  readonly calls: { messages: ChatMessage[]; options: ChatStreamOptions }[] = [];
  /** How many streams ended because their signal was aborted. */
  cancellations = 0;
  active = 0;

  constructor(private readonly script: ScriptedChatModelOptions = {}) {}

  async *stream(messages: ChatMessage[], options: ChatStreamOptions = {}): AsyncIterable<ChatChunk> {
    this.calls.push({ messages, options });
    this.active += 1;
    try {
      if (this.script.hang) await this.waitForAbort(options.signal);
      for (const token of this.script.tokens ?? ['Good ', 'food.']) {
        if (this.script.delayMs) await this.sleep(this.script.delayMs, options.signal);
        this.checkAborted(options.signal);
        yield { text: token };
      }
      if (this.script.failWith) throw this.script.failWith;
      options.onUsage?.({ promptTokens: 11, completionTokens: (this.script.tokens ?? ['a', 'b']).length });
    } finally {
      this.active -= 1;
    }
  }

  private checkAborted(signal: AbortSignal | undefined): void {
    if (signal?.aborted) {
      this.cancellations += 1;
      throw new AppError('cancelled', 'scripted model cancelled');
    }
  }

  private waitForAbort(signal: AbortSignal | undefined): Promise<void> {
    return new Promise((_, reject) => {
      const fail = () => {
        this.cancellations += 1;
        reject(new AppError('cancelled', 'scripted model cancelled'));
      };
      if (signal?.aborted) fail();
      signal?.addEventListener('abort', fail, { once: true });
    });
  }

  private sleep(ms: number, signal: AbortSignal | undefined): Promise<void> {
    return new Promise((resolve) => {
      const timer = setTimeout(resolve, ms);
      signal?.addEventListener(
        'abort',
        () => {
          clearTimeout(timer);
          resolve();
        },
        { once: true },
      );
    });
  }
}

/** Deterministic embeddings: letter counts of the text (26 dimensions). */
export class RecordingEmbeddingModel implements EmbeddingModel {
  readonly provider = 'recording';
  readonly modelId = 'letter-counts-v1';
  readonly calls: { kind: 'documents' | 'query'; texts: string[] }[] = [];

  async embedDocuments(texts: string[]): Promise<number[][]> {
    this.calls.push({ kind: 'documents', texts });
    return texts.map(letterCounts);
  }

  async embedQuery(text: string): Promise<number[]> {
    this.calls.push({ kind: 'query', texts: [text] });
    return letterCounts(text);
  }
}

function letterCounts(text: string): number[] {
  const counts = new Array<number>(26).fill(0);
  for (const char of text.toLowerCase()) {
    const index = char.charCodeAt(0) - 97;
    if (index >= 0 && index < 26) counts[index] = (counts[index] ?? 0) + 1;
  }
  return counts;
}

/** A review source item for tests. */
export function review(
  id: string,
  text: string,
  metadata: { restaurant?: string; rating?: number; date?: string; title?: string; row?: number } = {},
  score = 0.8,
): SourceItem {
  return { id, score, text, metadata: { source: 'sample.csv', row: 0, ...metadata } };
}
