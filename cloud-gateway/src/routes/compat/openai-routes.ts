import { randomUUID } from 'node:crypto';
import { Hono } from 'hono';
import { AppError } from '@review-assistant/shared';
import type { GatewayEnv } from '../../middleware/gateway-env.js';
import { addRoute, declareRoute, type RouteTag } from '../route-declaration.js';
import { API_KEY, errorResponses, jsonResponse } from '../route-responses.js';
import { apiKeyAccess } from './api-key-access.js';
import { embedWithWorker, MAX_GENERATION_TOKENS, streamingOf, type CompatRoutesOptions } from './compat-options.js';
import { collectAnswer, startCompatTurn } from './compat-stream.js';
import { stringFieldFrame } from '../frame-template.js';
import { streamFrames, type Frame } from '../stream-frames.js';
import type { CompatTurnEnd, CompatTurnPiece } from './compat-turn.js';
import { CHAT_MODEL_ID, EMBEDDING_MODEL_ID, MODELS_CREATED } from './compat-models.js';
import { ChatCompletionChunkSchema, ChatCompletionSchema, EmbeddingsResponseSchema, ModelListSchema, ModelSchema, OpenAiErrorSchema } from './compat-response-schemas.js';
import { toChatRequest } from './conversation.js';
import { ChatCompletionRequestSchema, EmbeddingsRequestSchema, messageText, type ChatCompletionRequest } from './openai-schemas.js';
import { openAiErrorShape } from './protocol-errors.js';

const tags: RouteTag[] = ['OpenAI-compatible'];
const errors = (...statuses: number[]) => errorResponses(statuses, OpenAiErrorSchema);

const modelsRoute = declareRoute({
  method: 'get',
  path: '/v1/models',
  summary: 'Models: the assistant and its embedding model',
  tags,
  security: API_KEY,
  responses: { 200: jsonResponse('Model list', ModelListSchema), ...errors(401, 403, 429) },
});
const modelRoute = declareRoute({
  method: 'get',
  path: '/v1/models/{model}',
  summary: 'One model',
  tags,
  security: API_KEY,
  responses: { 200: jsonResponse('Model', ModelSchema), ...errors(401, 403, 404, 429) },
});
const chatCompletionsRoute = declareRoute({
  method: 'post',
  path: '/v1/chat/completions',
  summary: `Chat completion with model "${CHAT_MODEL_ID}": a grounded answer with numbered citations and its sources`,
  description:
    'The last message is the question, earlier user/assistant messages the history (system messages are not used). Intent routing applies: small talk is answered by the gateway, off-topic requests are declined, review questions go to a worker. ' +
    'With `stream: true`: Server-Sent Events of `chat.completion.chunk` objects, the last one with `finish_reason` and the `sources` extension, a usage chunk when `stream_options.include_usage` is true, then `data: [DONE]`. ' +
    "Closing the connection cancels the worker's generation. `max_tokens`/`max_completion_tokens` and `temperature` go to the worker, `stop` is applied by the gateway, `user` becomes the session id in the interaction log.",
  tags,
  security: API_KEY,
  request: { body: ChatCompletionRequestSchema },
  responses: {
    200: {
      description: 'A `chat.completion`, or (stream) `chat.completion.chunk` events',
      content: { 'application/json': { schema: ChatCompletionSchema }, 'text/event-stream': { schema: ChatCompletionChunkSchema } },
    },
    ...errors(400, 401, 403, 404, 413, 415, 429, 502, 503, 504),
  },
});
const embeddingsRoute = declareRoute({
  method: 'post',
  path: '/v1/embeddings',
  summary: `Embeddings with model "${EMBEDDING_MODEL_ID}" (the worker's embedding model)`,
  tags,
  security: API_KEY,
  request: { body: EmbeddingsRequestSchema },
  responses: {
    200: jsonResponse('Embeddings (`encoding_format: base64`: little-endian float32, base64)', EmbeddingsResponseSchema),
    ...errors(400, 401, 403, 404, 413, 415, 429, 502, 503, 504),
  },
});

const sse = (value: unknown) => `data: ${JSON.stringify(value)}\n\n`;
const usageOf = (end: CompatTurnEnd) => ({
  prompt_tokens: end.usage.promptTokens,
  completion_tokens: end.usage.completionTokens,
  total_tokens: end.usage.promptTokens + end.usage.completionTokens,
});
/** The `sources` extension: each retrieved review with the number its citations use in the text. */
const sourcesOf = (end: CompatTurnEnd) => end.sources.map(({ number, id, score, text, metadata }) => ({ number, id, score, text, metadata }));

function requireChatModel(model: string): void {
  if (model !== CHAT_MODEL_ID) throw new AppError('model_not_found', `The model "${model}" does not exist; this gateway serves "${CHAT_MODEL_ID}" (GET /v1/models)`);
}

function chatRequestOf(body: ChatCompletionRequest) {
  const maxTokens = body.max_completion_tokens ?? body.max_tokens ?? undefined;
  return toChatRequest(
    body.messages.map((message, index) => ({ role: message.role, text: messageText(message, index) })),
    {
      ...(body.user ? { sessionId: body.user } : {}),
      generation: {
        ...(maxTokens === undefined ? {} : { maxTokens: Math.min(maxTokens, MAX_GENERATION_TOKENS) }),
        ...(body.temperature === null || body.temperature === undefined ? {} : { temperature: body.temperature }),
      },
    },
  );
}

/**
 * OpenAI-compatible API under `/v1`: `GET /v1/models`, `POST /v1/chat/completions` (streamed as
 * `chat.completion.chunk` events ending with `data: [DONE]`, or one `chat.completion`) and
 * `POST /v1/embeddings`. Every chat turn goes through the same intent routing and worker pool as
 * the chat UI and is logged with channel `openai`. Errors use OpenAI's shape (see `protocol-errors`).
 */
export function createOpenAiRoutes(options: CompatRoutesOptions): Hono<GatewayEnv> {
  const routes = new Hono<GatewayEnv>();
  const access = apiKeyAccess(options.apiKeys, options.keyLimiter);
  const streaming = streamingOf(options);

  addRoute(routes, modelsRoute, access, (c) =>
    c.json({
      object: 'list',
      data: [CHAT_MODEL_ID, EMBEDDING_MODEL_ID].map((id) => ({ id, object: 'model', created: MODELS_CREATED, owned_by: 'review-assistant' })),
    }),
  );

  addRoute(routes, modelRoute, access, (c) => {
    const id = c.req.param('model') ?? '';
    if (id !== CHAT_MODEL_ID && id !== EMBEDDING_MODEL_ID) throw new AppError('model_not_found', `The model "${id}" does not exist`);
    return c.json({ id, object: 'model', created: MODELS_CREATED, owned_by: 'review-assistant' });
  });

  addRoute(routes, chatCompletionsRoute, access, async (c) => {
    const body = c.req.valid('json');
    requireChatModel(body.model);
    const request = chatRequestOf(body);
    const id = `chatcmpl-${randomUUID().replaceAll('-', '')}`;
    const created = Math.floor(Date.now() / 1000);
    const { controller, pieces } = await startCompatTurn(c, options.turn, request, {
      channel: 'openai',
      stop: body.stop === null || body.stop === undefined ? [] : [body.stop].flat(),
      ...(request.generation?.maxTokens === undefined ? {} : { maxTokens: request.generation.maxTokens }),
      firstPieceWaitMs: body.stream ? streaming.firstPieceWaitMs : undefined,
    });

    if (!body.stream) {
      const { content, end } = await collectAnswer(pieces);
      return c.json({
        id,
        object: 'chat.completion',
        created,
        model: CHAT_MODEL_ID,
        choices: [{ index: 0, message: { role: 'assistant', content, refusal: null }, finish_reason: end.finishReason, logprobs: null }],
        usage: usageOf(end),
        sources: sourcesOf(end),
      });
    }

    const includeUsage = body.stream_options?.include_usage === true;
    const chunk = (choices: unknown[], extra: Record<string, unknown> = {}) => ({
      id,
      object: 'chat.completion.chunk',
      created,
      model: CHAT_MODEL_ID,
      choices,
      ...(includeUsage ? { usage: null } : {}),
      ...extra,
    });
    const delta = (value: Record<string, unknown>, finishReason: string | null = null) => ({ index: 0, delta: value, finish_reason: finishReason, logprobs: null });
    const textFrame = stringFieldFrame((content) => sse(chunk([delta({ content })])));
    async function* frames(source: AsyncGenerator<CompatTurnPiece>): AsyncGenerator<Frame> {
      yield { text: sse(chunk([delta({ role: 'assistant', content: '' })])) };
      for await (const piece of source) {
        if (piece.type === 'text') yield { text: textFrame(piece.text) };
        else if (piece.type === 'error') {
          // OpenAI's streams report a failure as an `error` event; the SDKs raise it as an APIError.
          yield { text: sse(openAiErrorShape({ code: piece.code, message: piece.message }, 502)), last: true };
        } else {
          yield { text: sse(chunk([delta({}, piece.finishReason)], { sources: sourcesOf(piece) })) };
          if (includeUsage) yield { text: sse(chunk([], { usage: usageOf(piece) })) };
          yield { text: 'data: [DONE]\n\n', last: true };
        }
      }
    }
    return streamFrames(
      c,
      // SSE comment lines keep the connection busy; OpenAI's SDKs skip them.
      { contentType: 'text/event-stream; charset=utf-8', keepAlive: { frame: () => ': keep-alive\n\n', everyMs: streaming.keepAliveMs }, clientWriteTimeoutMs: streaming.clientWriteTimeoutMs },
      controller,
      frames(pieces),
    );
  });

  addRoute(routes, embeddingsRoute, access, async (c) => {
    const body = c.req.valid('json');
    if (body.model !== EMBEDDING_MODEL_ID) {
      throw new AppError('model_not_found', `The model "${body.model}" does not exist; embeddings use "${EMBEDDING_MODEL_ID}" (GET /v1/models)`);
    }
    const { embeddings, dimensions } = await embedWithWorker(c, options.pool, body.input);
    if (body.dimensions && body.dimensions !== dimensions) {
      throw new AppError('validation_failed', `dimensions: this model's vectors have ${dimensions} dimensions and cannot be shortened`);
    }
    const base64 = body.encoding_format === 'base64';
    return c.json({
      object: 'list',
      model: EMBEDDING_MODEL_ID,
      data: embeddings.map((vector, index) => ({
        object: 'embedding',
        index,
        // base64: the vector's float32 values, little-endian (what the openai SDKs decode).
        embedding: base64 ? Buffer.from(new Float32Array(vector).buffer).toString('base64') : vector,
      })),
      // The worker does not count embedding tokens.
      usage: { prompt_tokens: 0, total_tokens: 0 },
    });
  });

  return routes;
}
