import type { Context, ErrorHandler, NotFoundHandler } from 'hono';
import { HTTPException } from 'hono/http-exception';
import { AppError, errorBody, errorCodeForStatus, publicErrorMessage, type ErrorBody } from '@review-assistant/shared';
import type { GatewayEnv } from './gateway-env.js';

/**
 * Turns anything thrown into a status and the shared `{"error": {"code", "message"}}` body, with
 * the message a public client may see: server-side failures get their code's fixed text (their
 * own message, which may name hosts, addresses or cloud resources, goes to the log).
 */
export function toErrorResponse(error: unknown, requestId: string | undefined): { status: number; body: ErrorBody } {
  if (error instanceof AppError) return { status: error.status, body: error.toPublicBody(requestId) };
  if (error instanceof HTTPException) {
    const malformedJson = error.status === 400 && /json/i.test(error.message);
    const code = malformedJson ? 'invalid_json' : errorCodeForStatus(error.status);
    return { status: error.status, body: errorBody(code, publicErrorMessage(code, error.message || code, error.status), requestId) };
  }
  return { status: 500, body: errorBody('internal', 'internal error; quote the request id when reporting it', requestId) };
}

/**
 * How a protocol spells an error body. The gateway's own shape is `{"error": {"code", "message"}}`;
 * the OpenAI- and Ollama-compatible APIs answer in their protocol's shape (same status, same
 * code and message underneath).
 */
export type ErrorShape = (error: ErrorBody['error'], status: number) => unknown;

/** Error shapes by path prefix, e.g. `['/v1/', openAiErrorShape]`; other paths get the gateway's shape. */
export type ErrorShapes = readonly (readonly [pathPrefix: string, shape: ErrorShape])[];

/**
 * The one error renderer (`app.onError`, `app.notFound`): 4xx are logged at info, 5xx with their
 * cause at error. The body takes the shape of the path's protocol, so even errors raised before
 * a route runs (body limit, unknown path) reach an OpenAI or Ollama client in the form it parses.
 */
export function createErrorRenderer(shapes: ErrorShapes = []): { onError: ErrorHandler<GatewayEnv>; notFound: NotFoundHandler<GatewayEnv> } {
  const send = (c: Context<GatewayEnv>, status: number, body: ErrorBody) => {
    const shape = shapes.find(([prefix]) => c.req.path.startsWith(prefix))?.[1];
    return c.json((shape ? shape(body.error, status) : body) as object, status as 400);
  };
  return {
    onError(error, c) {
      const requestId = c.get('requestId') as string | undefined;
      const { status, body } = toErrorResponse(error, requestId);
      const logger = c.get('logger') as GatewayEnv['Variables']['logger'] | undefined;
      if (status >= 500) logger?.error({ err: error, code: body.error.code, reason: error.message }, 'request failed');
      else logger?.info({ code: body.error.code, reason: body.error.message }, 'request rejected');
      return send(c, status, body);
    },
    notFound: (c) => send(c, 404, errorBody('not_found', `no route for ${c.req.method} ${c.req.path}`, c.get('requestId'))),
  };
}

const gatewayShaped = createErrorRenderer();
/** The renderer with the gateway's own shape on every path. */
export const renderError = gatewayShaped.onError;
export const renderNotFound = gatewayShaped.notFound;
