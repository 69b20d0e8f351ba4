import type { Context } from 'hono';
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
