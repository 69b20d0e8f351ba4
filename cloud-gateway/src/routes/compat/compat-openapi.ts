import type { OpenAPIHono } from '@hono/zod-openapi';
import { z } from 'zod';
import { SourceItemSchema } from '@review-assistant/shared';
import { CHAT_MODEL_ID, EMBEDDING_MODEL_ID } from './compat-models.js';
import { OllamaChatRequestSchema, OllamaEmbedRequestSchema } from './ollama-schemas.js';
import { ChatCompletionRequestSchema, EmbeddingsRequestSchema } from './openai-schemas.js';

type Registry = OpenAPIHono['openAPIRegistry'];

const json = (schema: z.ZodType) => ({ 'application/json': { schema } });
const bearer = [{ bearerKey: [] }];

/** The `sources` extension on the last chunk / the completion / Ollama's `done` object. */
const NumberedSourceSchema = SourceItemSchema.extend({ number: z.number().int().positive().describe('The number its citations use in the answer text, e.g. [1]') });
const SourcesExtension = z.array(NumberedSourceSchema).describe('Extension: the reviews the answer is grounded in, numbered as cited in the text.');

const OpenAiErrorSchema = z.object({
  error: z.object({ message: z.string(), type: z.string(), param: z.string().nullable(), code: z.string().nullable(), request_id: z.string().optional() }),
});
const OllamaErrorSchema = z.object({ error: z.string() });
const openAiErrors = (...statuses: number[]) =>
  Object.fromEntries(statuses.map((status) => [status, { description: `Error (${status}) in OpenAI's shape`, content: json(OpenAiErrorSchema) }]));
const ollamaErrors = (...statuses: number[]) =>
  Object.fromEntries(statuses.map((status) => [status, { description: `Error (${status}) in Ollama's shape`, content: json(OllamaErrorSchema) }]));

const UsageSchema = z.object({ prompt_tokens: z.number().int(), completion_tokens: z.number().int(), total_tokens: z.number().int() });
const FinishReason = z.enum(['stop', 'length']);
const ModelSchema = z.object({ id: z.string(), object: z.literal('model'), created: z.number().int(), owned_by: z.string() });

const ChatCompletionSchema = z.object({
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

const ChatCompletionChunkSchema = z.object({
  id: z.string(),
  object: z.literal('chat.completion.chunk'),
  created: z.number().int(),
  model: z.string(),
  choices: z.array(z.object({ index: z.number().int(), delta: z.object({ role: z.literal('assistant').optional(), content: z.string().optional() }), finish_reason: FinishReason.nullable() })),
  usage: UsageSchema.nullish().describe('Only with stream_options.include_usage: null on every chunk but the last, which has no choices.'),
  sources: SourcesExtension.optional().describe('Extension, on the chunk that carries finish_reason.'),
});

const OllamaChatResponseSchema = z.object({
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

/** The OpenAI- and Ollama-compatible routes in the gateway's OpenAPI document. */
export function registerCompatPaths(registry: Registry): void {
  registry.registerPath({
    method: 'get',
    path: '/v1/models',
    tags: ['OpenAI-compatible'],
    summary: 'Models: the assistant and its embedding model',
    security: bearer,
    responses: { 200: { description: 'Model list', content: json(z.object({ object: z.literal('list'), data: z.array(ModelSchema) })) }, ...openAiErrors(401, 403, 429) },
  });
  registry.registerPath({
    method: 'get',
    path: '/v1/models/{model}',
    tags: ['OpenAI-compatible'],
    summary: 'One model',
    security: bearer,
    request: { params: z.object({ model: z.string() }) },
    responses: { 200: { description: 'Model', content: json(ModelSchema) }, ...openAiErrors(401, 403, 404, 429) },
  });
  registry.registerPath({
    method: 'post',
    path: '/v1/chat/completions',
    tags: ['OpenAI-compatible'],
    summary: `Chat completion with model "${CHAT_MODEL_ID}": a grounded answer with numbered citations and its sources`,
    description:
      'The last message is the question, earlier user/assistant messages the history (system messages are not used). Intent routing applies: small talk is answered by the gateway, off-topic requests are declined, review questions go to a worker. ' +
      'With `stream: true`: Server-Sent Events of `chat.completion.chunk` objects, the last one with `finish_reason` and the `sources` extension, a usage chunk when `stream_options.include_usage` is true, then `data: [DONE]`. ' +
      'Closing the connection cancels the worker\'s generation. `max_tokens`/`max_completion_tokens` and `temperature` go to the worker, `stop` is applied by the gateway, `user` becomes the session id in the interaction log.',
    security: bearer,
    request: { body: { content: json(ChatCompletionRequestSchema), required: true } },
    responses: {
      200: {
        description: 'A `chat.completion`, or (stream) `chat.completion.chunk` events',
        content: { ...json(ChatCompletionSchema), 'text/event-stream': { schema: ChatCompletionChunkSchema } },
      },
      ...openAiErrors(400, 401, 403, 404, 413, 415, 429, 502, 503, 504),
    },
  });
  registry.registerPath({
    method: 'post',
    path: '/v1/embeddings',
    tags: ['OpenAI-compatible'],
    summary: `Embeddings with model "${EMBEDDING_MODEL_ID}" (the worker's embedding model)`,
    security: bearer,
    request: { body: { content: json(EmbeddingsRequestSchema), required: true } },
    responses: {
      200: {
        description: 'Embeddings (`encoding_format: base64`: little-endian float32, base64)',
        content: json(
          z.object({
            object: z.literal('list'),
            model: z.string(),
            data: z.array(z.object({ object: z.literal('embedding'), index: z.number().int(), embedding: z.union([z.array(z.number()), z.string()]) })),
            usage: z.object({ prompt_tokens: z.number().int(), total_tokens: z.number().int() }),
          }),
        ),
      },
      ...openAiErrors(400, 401, 403, 404, 413, 429, 502, 503, 504),
    },
  });
  registry.registerPath({
    method: 'get',
    path: '/ollama/api/version',
    tags: ['Ollama-compatible'],
    summary: 'Version (of this gateway)',
    security: bearer,
    responses: { 200: { description: 'Version', content: json(z.object({ version: z.string() })) }, ...ollamaErrors(401, 403, 429) },
  });
  registry.registerPath({
    method: 'get',
    path: '/ollama/api/tags',
    tags: ['Ollama-compatible'],
    summary: `Models: ${CHAT_MODEL_ID}:latest and ${EMBEDDING_MODEL_ID}:latest`,
    security: bearer,
    responses: {
      200: {
        description: 'Model list',
        content: json(z.object({ models: z.array(z.object({ name: z.string(), model: z.string(), modified_at: z.string(), size: z.number(), digest: z.string(), details: z.record(z.string(), z.unknown()) })) })),
      },
      ...ollamaErrors(401, 403, 429),
    },
  });
  registry.registerPath({
    method: 'post',
    path: '/ollama/api/chat',
    tags: ['Ollama-compatible'],
    summary: 'Chat: NDJSON stream (default) or one object with `stream: false`',
    description:
      'Same turn as /v1/chat/completions. Each line is a chat response object; the last has `done: true`, `done_reason`, durations in nanoseconds and the `sources` extension. `options.num_predict` and `options.temperature` go to the worker, `options.stop` is applied by the gateway.',
    security: bearer,
    request: { body: { content: json(OllamaChatRequestSchema), required: true } },
    responses: {
      200: { description: 'Chat response objects', content: { 'application/x-ndjson': { schema: OllamaChatResponseSchema }, ...json(OllamaChatResponseSchema) } },
      ...ollamaErrors(400, 401, 403, 404, 413, 415, 429, 502, 503, 504),
    },
  });
  registry.registerPath({
    method: 'post',
    path: '/ollama/api/embed',
    tags: ['Ollama-compatible'],
    summary: `Embeddings with model "${EMBEDDING_MODEL_ID}"`,
    security: bearer,
    request: { body: { content: json(OllamaEmbedRequestSchema), required: true } },
    responses: {
      200: {
        description: 'Embeddings',
        content: json(z.object({ model: z.string(), embeddings: z.array(z.array(z.number())), total_duration: z.number().int(), load_duration: z.number().int(), prompt_eval_count: z.number().int() })),
      },
      ...ollamaErrors(400, 401, 403, 404, 413, 429, 502, 503, 504),
    },
  });
}
