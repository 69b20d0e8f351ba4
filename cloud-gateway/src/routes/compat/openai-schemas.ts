import { z } from 'zod';
import { AppError, MAX_EMBED_INPUTS } from '@review-assistant/shared';

/*
 * Request bodies of OpenAI's Chat Completions and Embeddings APIs, as far as the assistant
 * serves them (field names and types from openai/openai-openapi). Objects are loose: clients send
 * many optional fields (top_p, seed, logprobs, ...) that do not change a grounded answer, and
 * refusing them would break those clients; fields we cannot honour (n > 1, tools) are refused.
 */

const TextPartSchema = z.object({ type: z.literal('text'), text: z.string() }).loose();
const OtherPartSchema = z.object({ type: z.string() }).loose();

export const OpenAiMessageSchema = z
  .object({
    role: z.enum(['system', 'developer', 'user', 'assistant'], {
      error: 'role must be "system", "developer", "user" or "assistant" (tool calls are not supported)',
    }),
    content: z.union([z.string(), z.array(z.union([TextPartSchema, OtherPartSchema])).max(100)]).nullish(),
    name: z.string().max(256).optional(),
  })
  .loose();
export type OpenAiMessage = z.infer<typeof OpenAiMessageSchema>;

export const ChatCompletionRequestSchema = z
  .object({
    model: z.string().min(1).max(256),
    messages: z.array(OpenAiMessageSchema).min(1, 'messages must not be empty').max(500),
    stream: z.boolean().nullish(),
    stream_options: z.object({ include_usage: z.boolean().nullish() }).loose().nullish(),
    max_tokens: z.number().int().min(1).nullish(),
    max_completion_tokens: z.number().int().min(1).nullish(),
    temperature: z.number().min(0).max(2).nullish(),
    stop: z.union([z.string().max(200), z.array(z.string().max(200)).max(4)]).nullish(),
    user: z.string().max(128).nullish(),
    n: z.literal(1, { error: 'n: only one choice per request is supported' }).nullish(),
    tools: z.array(z.unknown()).max(0, 'tools: tool calling is not supported').nullish(),
  })
  .loose();
export type ChatCompletionRequest = z.infer<typeof ChatCompletionRequestSchema>;

export const EmbeddingsRequestSchema = z
  .object({
    model: z.string().min(1).max(256),
    input: z.union([z.string().min(1).max(8000), z.array(z.string().min(1).max(8000)).min(1).max(MAX_EMBED_INPUTS)], {
      error: `input must be a non-empty string or an array of 1 to ${MAX_EMBED_INPUTS} non-empty strings (token arrays are not supported)`,
    }),
    encoding_format: z.enum(['float', 'base64']).nullish(),
    dimensions: z.number().int().min(1).nullish(),
    user: z.string().max(128).nullish(),
  })
  .loose();
export type EmbeddingsRequest = z.infer<typeof EmbeddingsRequestSchema>;

/** The text of a message: a string, or its text parts joined; other parts (images, audio) are refused. */
export function messageText(message: OpenAiMessage, index: number): string {
  const { content } = message;
  if (content === null || content === undefined) return '';
  if (typeof content === 'string') return content;
  return content
    .map((part) => {
      if (part.type !== 'text' || typeof part.text !== 'string') {
        throw new AppError('validation_failed', `messages.${index}.content: only text parts are supported, got "${part.type}"`);
      }
      return part.text;
    })
    .join('\n');
}
