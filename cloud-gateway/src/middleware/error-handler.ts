import type { Context, ErrorHandler, NotFoundHandler } from 'hono';
import { HTTPException } from 'hono/http-exception';
import { AppError, errorBody, errorCodeForStatus, type ErrorBody } from '@review-assistant/shared';
import type { GatewayEnv } from './gateway-env.js';

/** Turns anything thrown into a status and the shared `{"error": {"code", "message"}}` body. */
export function toErrorResponse(error: unknown, requestId: string | undefined): { status: number; body: ErrorBody } {
  if (error instanceof AppError) return { status: error.status, body: error.toBody(requestId) };
  if (error instanceof HTTPException) {
    const malformedJson = error.status === 400 && /json/i.test(error.message);
    const code = malformedJson ? 'invalid_json' : errorCodeForStatus(error.status);
    return { status: error.status, body: errorBody(code, error.message || code, requestId) };
  }
  return { status: 500, body: errorBody('internal', 'internal error; quote the request id when reporting it', requestId) };
}

/** The one error renderer (`app.onError`): 4xx are logged at info, 5xx with their cause at error. */
export const renderError: ErrorHandler<GatewayEnv> = (error, c) => {
  const requestId = c.get('requestId') as string | undefined;
  const { status, body } = toErrorResponse(error, requestId);
  const logger = c.get('logger') as GatewayEnv['Variables']['logger'] | undefined;
  if (status >= 500) logger?.error({ err: error, code: body.error.code }, 'request failed');
  else logger?.info({ code: body.error.code, reason: body.error.message }, 'request rejected');
  return c.json(body, status as 400);
};

export const renderNotFound: NotFoundHandler<GatewayEnv> = (c: Context<GatewayEnv>) =>
  c.json(errorBody('not_found', `no route for ${c.req.method} ${c.req.path}`, c.get('requestId')), 404);
