import type { Context } from 'hono';
import { HTTPException } from 'hono/http-exception';
import { AppError, errorCodeForStatus } from '@review-assistant/shared';
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
 * Reads the JSON body and validates it with `schema`. Malformed JSON → 400 `invalid_json`;
 * a body of another media type → 415; schema violations → 400 `validation_failed` naming each
 * field. (The body was already read and size-capped by the signature middleware.)
 */
export async function readJsonBody<S extends z.ZodType>(c: Context<WorkerEnv>, schema: S): Promise<z.output<S>> {
  const contentType = c.req.header('content-type');
  if (contentType !== undefined && !/^application\/(.+\+)?json\b/i.test(contentType)) {
    throw new AppError('unsupported_media_type', `expected Content-Type application/json, got ${contentType.slice(0, 80)}`);
  }
  const text = await c.req.text();
  let value: unknown;
  try {
    value = JSON.parse(text) as unknown;
  } catch (cause) {
    throw new AppError('invalid_json', text.trim().length === 0 ? 'request body is empty; expected JSON' : 'request body is not valid JSON', { cause });
  }
  const parsed = schema.safeParse(value);
  if (!parsed.success) {
    const issues = parsed.error.issues.map((issue) => ({ path: issue.path.join('.') || '(body)', message: issue.message }));
    throw new AppError('validation_failed', issues.map((issue) => `${issue.path}: ${issue.message}`).join('; '), { details: issues });
  }
  return parsed.data;
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
