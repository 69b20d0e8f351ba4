import { ChatOllama } from '@langchain/ollama';
import { z } from 'zod';
import { AIMessage, HumanMessage, SystemMessage } from '@langchain/core/messages';
import type { BaseMessage } from '@langchain/core/messages';
import type { ChatChunk, ChatMessage, ChatModel, ChatStreamOptions } from '../ports.js';
import { OllamaRequestScope } from './ollama-request-scope.js';
import type { OllamaConnectionOptions } from './ollama-request-scope.js';

/** Token counts LangChain puts on the last chunk (from Ollama's `prompt_eval_count`/`eval_count`). */
const UsageMetadataSchema = z.object({ input_tokens: z.number().int().nonnegative(), output_tokens: z.number().int().nonnegative() });

export interface OllamaChatModelOptions extends OllamaConnectionOptions {
  /** Ollama model name. @default 'llama3.2' */
  model?: string;
  /** @default 0.2 (answers should stay close to the quoted reviews) */
  temperature?: number;
}

/**
 * Chat through LangChain's ChatOllama (`POST /api/chat`, streamed NDJSON). Each call gets its own
 * ChatOllama bound to a per-request `fetch` (see `OllamaRequestScope`), so aborting one turn
 * cancels that HTTP request and a silent Ollama ends in a retryable `worker_timeout`.
 */
export class OllamaChatModel implements ChatModel {
  readonly provider = 'ollama';
  readonly modelId: string;

  constructor(private readonly options: OllamaChatModelOptions) {
    this.modelId = options.model ?? 'llama3.2';
  }

  async *stream(messages: ChatMessage[], options: ChatStreamOptions = {}): AsyncIterable<ChatChunk> {
    const scope = new OllamaRequestScope(this.options, options.signal);
    const chat = new ChatOllama({
      model: this.modelId,
      baseUrl: this.options.baseURL,
      fetch: scope.fetch,
      keepAlive: this.options.keepAlive ?? '30m',
      temperature: options.temperature ?? this.options.temperature ?? 0.2,
      ...(options.maxTokens === undefined ? {} : { numPredict: options.maxTokens }),
      ...(this.options.headers === undefined ? {} : { headers: this.options.headers }),
      streaming: true,
    });
    let reportedUsage = false;
    try {
      const stream = await chat.stream(messages.map(toLangChainMessage), { signal: scope.signal });
      for await (const chunk of stream) {
        const text = typeof chunk.content === 'string' ? chunk.content : '';
        if (text.length > 0) yield { text };
        const usage = UsageMetadataSchema.safeParse(chunk.usage_metadata);
        if (usage.success && !reportedUsage && (usage.data.input_tokens > 0 || usage.data.output_tokens > 0)) {
          reportedUsage = true;
          options.onUsage?.({ promptTokens: usage.data.input_tokens, completionTokens: usage.data.output_tokens });
        }
      }
    } catch (error) {
      throw scope.toAppError(error, `chat with ${this.modelId}`);
    } finally {
      scope.dispose();
    }
  }
}

function toLangChainMessage(message: ChatMessage): BaseMessage {
  switch (message.role) {
    case 'system':
      return new SystemMessage(message.content);
    case 'assistant':
      return new AIMessage(message.content);
    case 'user':
      return new HumanMessage(message.content);
  }
}
