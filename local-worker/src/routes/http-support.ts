import type { Context } from 'hono';
import { HTTPException } from 'hono/http-exception';
import { AppError, errorCodeForStatus } from '@review-assistant/shared';
import { parseJsonBody } from '@review-assistant/shared/edge';
import type { Logger } from 'pino';
import type { z } from 'zod';

/** Hono environment of the worker app: every request carries an id and a child logger. */
export interface WorkerEnv {
  Variables: {
    requestId: string;
    logger: Logger;
    /** Set by streaming routes that log their own single line when the stream ends. */
    logsOwnLine: boolean;
  };
}

/**
 * Reads the JSON body and validates it with `schema` (the edge kit's `parseJsonBody`): malformed
 * JSON → 400 `invalid_json`; another media type → 415; schema violations → 400 `validation_failed`
 * naming each field. The body was already read and size-capped by the signature middleware; signed
 * calls may omit Content-Type.
 */
export function readJsonBody<S extends z.ZodType>(c: Context<WorkerEnv>, schema: S): Promise<z.output<S>> {
  return parseJsonBody(c, schema, { allowMissingContentType: true });
}

/** The one error renderer: `{"error": {"code", "message", "requestId"}}` with the catalogue's status. */
export function renderError(error: unknown, c: Context<WorkerEnv>): Response {
  const requestId = c.get('requestId');
  const logger = c.get('logger');
  let appError: AppError;
  if (error instanceof AppError) {
    appError = error;
  } else if (error instanceof HTTPException) {
    const code = errorCodeForStatus(error.status);
    appError = new AppError(code, error.message || code.replace(/_/g, ' '), { status: error.status, cause: error });
  } else {
    appError = new AppError('internal', 'the worker failed to handle the request; see its log', { cause: error });
  }
  if (appError.status >= 500 && appError.code === 'internal') logger?.error({ err: error }, 'request failed');
  else logger?.info({ code: appError.code, reason: appError.message }, 'request refused');
  const headers: Record<string, string> = {};
  if (appError.code === 'worker_busy') headers['retry-after'] = '1';
  return c.json(appError.toBody(requestId), appError.status as 400, headers);
}
