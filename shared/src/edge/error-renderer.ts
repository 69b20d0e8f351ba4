import type { Context, Env, ErrorHandler, NotFoundHandler } from 'hono';
import { HTTPException } from 'hono/http-exception';
import { AppError, errorBody, errorCodeForStatus, publicErrorMessage, type ErrorBody, type ErrorCode } from '../errors.js';

/** The part of a pino logger the renderer uses (structural, so the kit needs no pino). */
export interface ErrorLogger {
  info(object: object, message: string): void;
  error(object: object, message: string): void;
}

/**
 * How a protocol spells an error body. The project's own shape is `{"error": {"code", "message"}}`;
 * e.g. the gateway's OpenAI- and Ollama-compatible APIs answer in their protocol's shape (same
 * status, same code and message underneath).
 */
export type ErrorShape = (error: ErrorBody['error'], status: number) => unknown;

/** Error shapes by path prefix, e.g. `['/v1/', openAiErrorShape]`; other paths get the project's shape. */
export type ErrorShapes = readonly (readonly [pathPrefix: string, shape: ErrorShape])[];

export interface ErrorRendererOptions {
  /** Protocol shapes by path prefix (default: the project's shape everywhere). */
  shapes?: ErrorShapes;
  /**
   * Keep the message of server-side `AppError`s and framework exceptions (5xx) in the body. Only
   * for a private service whose caller logs them (the worker, called by the gateway); a public
   * service gets each code's fixed text (`publicErrorMessage`). Unexpected errors never show their
   * own text either way.
   */
  exposeServerMessages?: boolean;
  /** Body message of an unexpected (non-`AppError`) failure. */
  internalMessage?: string;
  /** Which failures are logged at error level with their cause (default: every 5xx); the rest at info. */
  logAsError?: (code: string, status: number) => boolean;
  /** `Retry-After` seconds sent with these codes. */
  retryAfterSeconds?: Partial<Record<ErrorCode, number>>;
}

const defaultInternalMessage = publicErrorMessage('internal', '');

/**
 * Turns anything thrown into a status and the shared `{"error": {"code", "message"}}` body. By
 * default with the message a public client may see: server-side failures get their code's fixed
 * text (their own message, which may name hosts, addresses or cloud resources, goes to the log).
 */
export function toErrorResponse(error: unknown, requestId: string | undefined, options: ErrorRendererOptions = {}): { status: number; body: ErrorBody } {
  const expose = options.exposeServerMessages ?? false;
  if (error instanceof AppError) return { status: error.status, body: expose ? error.toBody(requestId) : error.toPublicBody(requestId) };
  if (error instanceof HTTPException) {
    const malformedJson = error.status === 400 && /json/i.test(error.message);
    const code = malformedJson ? 'invalid_json' : errorCodeForStatus(error.status);
    const message = error.message || code;
    return { status: error.status, body: errorBody(code, expose ? message : publicErrorMessage(code, message, error.status), requestId) };
  }
  // Hono's bodyLimit raises this internally when a route reads an over-long body.
  if (error instanceof Error && error.name === 'BodyLimitError') {
    return { status: 413, body: errorBody('payload_too_large', 'the request body is too large', requestId) };
  }
  return { status: 500, body: errorBody('internal', options.internalMessage ?? defaultInternalMessage, requestId) };
}

type RendererEnv = Env & { Variables: { requestId?: string; logger?: ErrorLogger } };

/**
 * The one error renderer of both services (`app.onError`, `app.notFound`): the body is
 * `{"error": {"code", "message", "requestId"}}` (or the path's protocol shape, so even errors raised
 * before a route runs reach an OpenAI or Ollama client in the form it parses); failures logged as
 * errors carry their cause, the rest are logged at info.
 */
export function createErrorRenderer<E extends Env = Env>(options: ErrorRendererOptions = {}): { onError: ErrorHandler<E>; notFound: NotFoundHandler<E> } {
  const shapes = options.shapes ?? [];
  const logAsError = options.logAsError ?? ((_code: string, status: number) => status >= 500);
  const send = (c: Context, status: number, body: ErrorBody) => {
    const seconds = options.retryAfterSeconds?.[body.error.code as ErrorCode];
    if (seconds !== undefined) c.header('Retry-After', String(seconds));
    const shape = shapes.find(([prefix]) => c.req.path.startsWith(prefix))?.[1];
    return c.json((shape ? shape(body.error, status) : body) as object, status as 400);
  };
  return {
    onError(error, c) {
      const { requestId, logger } = variables(c).var;
      const { status, body } = toErrorResponse(error, requestId, options);
      if (logAsError(body.error.code, status)) logger?.error({ err: error, code: body.error.code, reason: error.message }, 'request failed');
      else logger?.info({ code: body.error.code, reason: body.error.message }, 'request rejected');
      return send(c, status, body);
    },
    notFound: (c) => send(c, 404, errorBody('not_found', `no route for ${c.req.method} ${c.req.path}`, variables(c).var.requestId)),
  };
}

/** A refusal a route answers itself (no throw), in the project's shape with the request id. */
export function errorResponse(c: Context, code: ErrorCode, message: string, status?: number): Response {
  const error = new AppError(code, message, status === undefined ? {} : { status });
  return c.json(error.toBody(variables(c).var.requestId), error.status as 400);
}

function variables(c: Context): Context<RendererEnv> {
  return c as unknown as Context<RendererEnv>;
}
