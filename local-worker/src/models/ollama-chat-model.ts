import { z } from 'zod';
import type { ChatChunk, ChatMessage, ChatModel, ChatStreamOptions } from '../ports.js';
import { OllamaRequestScope } from './ollama-request-scope.js';
import type { OllamaConnectionOptions } from './ollama-request-scope.js';

/** What the worker reads from each streamed `/api/chat` line (parsed, never cast). */
const ChatPartSchema = z.object({
  message: z.object({ content: z.string().nullish() }).nullish(),
  done: z.boolean().nullish(),
  prompt_eval_count: z.number().int().nonnegative().nullish(),
  eval_count: z.number().int().nonnegative().nullish(),
});

export interface OllamaChatModelOptions extends OllamaConnectionOptions {
  /** Ollama model name. @default 'llama3.2' */
  model?: string;
  /** @default 0.2 (answers should stay close to the quoted reviews) */
  temperature?: number;
}

/**
 * Chat through the `ollama` client (`POST /api/chat`, streamed NDJSON). Each call gets its own
 * request scope (see `OllamaRequestScope`), so aborting one turn cancels that HTTP request and a
 * silent Ollama ends in a retryable `worker_timeout`. A generation stopped by `maxTokens`
 * (`done_reason: "length"`) ends normally with the counts of what was generated.
 */
export class OllamaChatModel implements ChatModel {
  readonly provider = 'ollama';
  readonly modelId: string;

  constructor(private readonly options: OllamaChatModelOptions) {
    this.modelId = options.model ?? 'llama3.2';
  }

  async *stream(messages: ChatMessage[], options: ChatStreamOptions = {}): AsyncIterable<ChatChunk> {
    const scope = new OllamaRequestScope(this.options, options.signal);
    try {
      const stream = await scope.client().chat({
        model: this.modelId,
        messages: messages.map((message) => ({ role: message.role, content: message.content })),
        stream: true,
        keep_alive: this.options.keepAlive ?? '30m',
        options: {
          temperature: options.temperature ?? this.options.temperature ?? 0.2,
          ...(options.maxTokens === undefined ? {} : { num_predict: options.maxTokens }),
        },
      });
      for await (const raw of stream) {
        const part = ChatPartSchema.parse(raw);
        const text = part.message?.content ?? '';
        if (text.length > 0) yield { text };
        if (part.done && (part.prompt_eval_count || part.eval_count)) {
          options.onUsage?.({ promptTokens: part.prompt_eval_count ?? 0, completionTokens: part.eval_count ?? 0 });
        }
      }
    } catch (error) {
      throw scope.toAppError(error, `chat with ${this.modelId}`);
    } finally {
      scope.dispose();
    }
  }
}
