import { z } from 'zod';
import { SourceItemSchema } from '@review-assistant/shared';

/*
 * What the OpenAI- and Ollama-compatible routes answer, for their declarations in /openapi.json
 * (the request bodies, which the routes validate, are in openai-schemas.ts and ollama-schemas.ts).
 */

/** The `sources` extension on the last chunk / the completion / Ollama's `done` object. */
const NumberedSourceSchema = SourceItemSchema.extend({ number: z.number().int().positive().describe('The number its citations use in the answer text, e.g. [1]') });
const SourcesExtension = z.array(NumberedSourceSchema).describe('Extension: the reviews the answer is grounded in, numbered as cited in the text.');

/** OpenAI's error body (`openAiErrorShape`). */
export const OpenAiErrorSchema = z.object({
  error: z.object({ message: z.string(), type: z.string(), param: z.string().nullable(), code: z.string().nullable(), request_id: z.string().optional() }),
});
/** Ollama's error body (`ollamaErrorShape`). */
export const OllamaErrorSchema = z.object({ error: z.string() });

const UsageSchema = z.object({ prompt_tokens: z.number().int(), completion_tokens: z.number().int(), total_tokens: z.number().int() });
const FinishReason = z.enum(['stop', 'length']);
export const ModelSchema = z.object({ id: z.string(), object: z.literal('model'), created: z.number().int(), owned_by: z.string() });

export const ChatCompletionSchema = z.object({
  id: z.string(),
  object: z.literal('chat.completion'),
  created: z.number().int(),
  model: z.string(),
  choices: z.array(
    z.object({
      index: z.number().int(),
      message: z.object({ role: z.literal('assistant'), content: z.string(), refusal: z.null() }),
      finish_reason: FinishReason,
      logprobs: z.null(),
    }),
  ),
  usage: UsageSchema,
  sources: SourcesExtension,
});

export const ChatCompletionChunkSchema = z.object({
  id: z.string(),
  object: z.literal('chat.completion.chunk'),
  created: z.number().int(),
  model: z.string(),
  choices: z.array(z.object({ index: z.number().int(), delta: z.object({ role: z.literal('assistant').optional(), content: z.string().optional() }), finish_reason: FinishReason.nullable() })),
  usage: UsageSchema.nullish().describe('Only with stream_options.include_usage: null on every chunk but the last, which has no choices.'),
  sources: SourcesExtension.optional().describe('Extension, on the chunk that carries finish_reason.'),
});

export const OllamaChatResponseSchema = z.object({
  model: z.string(),
  created_at: z.string(),
  message: z.object({ role: z.literal('assistant'), content: z.string() }),
  done: z.boolean(),
  done_reason: FinishReason.optional(),
  total_duration: z.number().int().optional().describe('Nanoseconds'),
  load_duration: z.number().int().optional(),
  prompt_eval_count: z.number().int().optional(),
  prompt_eval_duration: z.number().int().optional(),
  eval_count: z.number().int().optional(),
  eval_duration: z.number().int().optional(),
  sources: SourcesExtension.optional().describe('Extension, on the `done: true` object.'),
});

export const ModelListSchema = z.object({ object: z.literal('list'), data: z.array(ModelSchema) });

export const EmbeddingsResponseSchema = z.object({
  object: z.literal('list'),
  model: z.string(),
  data: z.array(z.object({ object: z.literal('embedding'), index: z.number().int(), embedding: z.union([z.array(z.number()), z.string()]) })),
  usage: z.object({ prompt_tokens: z.number().int(), total_tokens: z.number().int() }),
});

export const OllamaVersionSchema = z.object({ version: z.string() });

export const OllamaTagsSchema = z.object({
  models: z.array(z.object({ name: z.string(), model: z.string(), modified_at: z.string(), size: z.number(), digest: z.string(), details: z.record(z.string(), z.unknown()) })),
});

export const OllamaEmbedResponseSchema = z.object({
  model: z.string(),
  embeddings: z.array(z.array(z.number())),
  total_duration: z.number().int(),
  load_duration: z.number().int(),
  prompt_eval_count: z.number().int(),
});
