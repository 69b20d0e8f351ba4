import { createHash } from 'node:crypto';
import { Hono } from 'hono';
import { APP_VERSION, AppError } from '@review-assistant/shared';
import type { GatewayEnv } from '../../middleware/gateway-env.js';
import { addRoute, declareRoute, type RouteTag } from '../route-declaration.js';
import { API_KEY, errorResponses, jsonResponse } from '../route-responses.js';
import { apiKeyAccess } from './api-key-access.js';
import { embedWithWorker, MAX_GENERATION_TOKENS, streamingOf, type CompatRoutesOptions } from './compat-options.js';
import { collectAnswer, startCompatTurn } from './compat-stream.js';
import { stringFieldsFrame } from '../frame-template.js';
import { streamFrames, type Frame } from '../stream-frames.js';
import type { CompatTurnEnd, CompatTurnPiece } from './compat-turn.js';
import { CHAT_MODEL_ID, EMBEDDING_MODEL_ID, MODELS_CREATED, withoutLatestTag } from './compat-models.js';
import { OllamaChatResponseSchema, OllamaEmbedResponseSchema, OllamaErrorSchema, OllamaTagsSchema, OllamaVersionSchema } from './compat-response-schemas.js';
import { toChatRequest } from './conversation.js';
import { OllamaChatRequestSchema, OllamaEmbedRequestSchema } from './ollama-schemas.js';

const tags: RouteTag[] = ['Ollama-compatible'];
const errors = (...statuses: number[]) => errorResponses(statuses, OllamaErrorSchema);

const versionRoute = declareRoute({
  method: 'get',
  path: '/ollama/api/version',
  summary: 'Version (of this gateway)',
  tags,
  security: API_KEY,
  responses: { 200: jsonResponse('Version', OllamaVersionSchema), ...errors(401, 403, 429) },
});
const tagsRoute = declareRoute({
  method: 'get',
  path: '/ollama/api/tags',
  summary: `Models: ${CHAT_MODEL_ID}:latest and ${EMBEDDING_MODEL_ID}:latest`,
  tags,
  security: API_KEY,
  responses: { 200: jsonResponse('Model list', OllamaTagsSchema), ...errors(401, 403, 429) },
});
const chatRoute = declareRoute({
  method: 'post',
  path: '/ollama/api/chat',
  summary: 'Chat: NDJSON stream (default) or one object with `stream: false`',
  description:
    'Same turn as /v1/chat/completions. Each line is a chat response object; the last has `done: true`, `done_reason`, durations in nanoseconds and the `sources` extension. `options.num_predict` and `options.temperature` go to the worker, `options.stop` is applied by the gateway.',
  tags,
  security: API_KEY,
  request: { body: OllamaChatRequestSchema },
  responses: {
    200: { description: 'Chat response objects', content: { 'application/x-ndjson': { schema: OllamaChatResponseSchema }, 'application/json': { schema: OllamaChatResponseSchema } } },
    ...errors(400, 401, 403, 404, 413, 415, 429, 502, 503, 504),
  },
});
const embedRoute = declareRoute({
  method: 'post',
  path: '/ollama/api/embed',
  summary: `Embeddings with model "${EMBEDDING_MODEL_ID}"`,
  tags,
  security: API_KEY,
  request: { body: OllamaEmbedRequestSchema },
  responses: { 200: jsonResponse('Embeddings', OllamaEmbedResponseSchema), ...errors(400, 401, 403, 404, 413, 415, 429, 502, 503, 504) },
});

const nanoseconds = (ms: number | null) => Math.round((ms ?? 0) * 1e6);
const ndjson = (value: unknown) => `${JSON.stringify(value)}\n`;

let lastIso = { ms: Number.NaN, iso: '' };
/** Now as ISO 8601 (Ollama's `created_at`), formatted again only when the millisecond changed: the lines of one worker chunk share it. */
function isoNow(): string {
  const ms = Date.now();
  if (ms !== lastIso.ms) lastIso = { ms, iso: new Date(ms).toISOString() };
  return lastIso.iso;
}

function tag(name: string, family: string) {
  return {
    name: `${name}:latest`,
    model: `${name}:latest`,
    modified_at: new Date(MODELS_CREATED * 1000).toISOString(),
    // Nothing is stored here: the models live on the worker.
    size: 0,
    digest: createHash('sha256').update(name).digest('hex'),
    details: { parent_model: '', format: 'remote', family, families: [family], parameter_size: '', quantization_level: '' },
  };
}

/** The fields Ollama puts on the last object of a chat (`done: true`), plus the `sources` extension. */
function doneFields(end: CompatTurnEnd) {
  return {
    done: true,
    done_reason: end.finishReason,
    total_duration: nanoseconds(end.timings.totalMs),
    load_duration: 0,
    prompt_eval_count: end.usage.promptTokens,
    prompt_eval_duration: 0,
    eval_count: end.usage.completionTokens,
    eval_duration: nanoseconds(end.timings.generationMs),
    sources: end.sources.map(({ number, id, score, text, metadata }) => ({ number, id, score, text, metadata })),
  };
}

/**
 * Ollama-compatible API under `/ollama` (so `new Ollama({ host: '<gateway>/ollama' })` works):
 * `GET /api/tags`, `GET /api/version`, `POST /api/chat` (NDJSON stream, or one object with
 * `stream: false`), `POST /api/embed`. Chat turns go through the same intent routing and worker
 * pool as the chat UI and are logged with channel `ollama`. Errors are `{"error": "<message>"}`.
 */
export function createOllamaRoutes(options: CompatRoutesOptions): Hono<GatewayEnv> {
  const routes = new Hono<GatewayEnv>();
  routes.use('/ollama/api/*', apiKeyAccess(options.apiKeys, options.keyLimiter));
  const streaming = streamingOf(options);

  addRoute(routes, versionRoute, (c) => c.json({ version: APP_VERSION }));
  addRoute(routes, tagsRoute, (c) => c.json({ models: [tag(CHAT_MODEL_ID, 'review-assistant'), tag(EMBEDDING_MODEL_ID, 'embedding')] }));

  addRoute(routes, chatRoute, async (c) => {
    const body = c.req.valid('json');
    if (withoutLatestTag(body.model) !== CHAT_MODEL_ID) {
      throw new AppError('model_not_found', `model "${body.model}" not found; this gateway serves "${CHAT_MODEL_ID}"`);
    }
    const numPredict = body.options?.num_predict;
    // Ollama: num_predict -1 (or unset) means no limit.
    const maxTokens = numPredict !== null && numPredict !== undefined && numPredict > 0 ? Math.min(numPredict, MAX_GENERATION_TOKENS) : undefined;
    const temperature = body.options?.temperature ?? undefined;
    const request = toChatRequest(body.messages.map((message) => ({ role: message.role, text: message.content })), {
      generation: { ...(maxTokens === undefined ? {} : { maxTokens }), ...(temperature === undefined ? {} : { temperature }) },
    });
    const { controller, pieces } = await startCompatTurn(c, options.turn, request, {
      channel: 'ollama',
      stop: body.options?.stop ?? [],
      ...(maxTokens === undefined ? {} : { maxTokens }),
      firstPieceWaitMs: body.stream === false ? undefined : streaming.firstPieceWaitMs,
    });
    const line = (content: string, createdAt = isoNow()) => ({ model: body.model, created_at: createdAt, message: { role: 'assistant', content } });
    const textLine = stringFieldsFrame((createdAt, content) => ndjson({ ...line(content, createdAt), done: false }));

    if (body.stream === false) {
      const { content, end } = await collectAnswer(pieces);
      return c.json({ ...line(content), ...doneFields(end) });
    }

    async function* frames(source: AsyncGenerator<CompatTurnPiece>): AsyncGenerator<Frame> {
      for await (const piece of source) {
        if (piece.type === 'text') yield { text: textLine(isoNow(), piece.text) };
        // Ollama reports a failure inside a stream as an `{"error": ...}` line; its clients raise it.
        else if (piece.type === 'error') yield { text: ndjson({ error: piece.message }), last: true };
        else yield { text: ndjson({ ...line(''), ...doneFields(piece) }), last: true };
      }
    }
    return streamFrames(
      c,
      // An empty assistant message is a valid part of an Ollama stream (clients append nothing).
      { contentType: 'application/x-ndjson', keepAlive: { frame: () => ndjson({ ...line(''), done: false }), everyMs: streaming.keepAliveMs }, clientWriteTimeoutMs: streaming.clientWriteTimeoutMs },
      controller,
      frames(pieces),
    );
  });

  addRoute(routes, embedRoute, async (c) => {
    const body = c.req.valid('json');
    if (withoutLatestTag(body.model) !== EMBEDDING_MODEL_ID) {
      throw new AppError('model_not_found', `model "${body.model}" not found; embeddings use "${EMBEDDING_MODEL_ID}"`);
    }
    const started = performance.now();
    const { embeddings } = await embedWithWorker(c, options.pool, body.input);
    return c.json({
      model: body.model,
      embeddings,
      total_duration: nanoseconds(performance.now() - started),
      load_duration: 0,
      prompt_eval_count: 0,
    });
  });

  return routes;
}
