import type { MiddlewareHandler } from 'hono';
import { validator } from 'hono/validator';
import type { z } from 'zod';
import { AppError } from '@review-assistant/shared';

/** Names each problem of a failed zod parse as `path: message`, e.g. `message: must not be empty`. */
export function describeIssues(error: z.ZodError): string {
  return error.issues
    .slice(0, 5)
    .map((issue) => {
      const path = issue.path.map(String).join('.');
      const message = issue.code === 'unrecognized_keys' ? `unknown field(s) ${issue.keys.join(', ')}` : issue.message;
      return path ? `${path}: ${message}` : message;
    })
    .join('; ');
}

const requireJson: MiddlewareHandler = async (c, next) => {
  const type = c.req.header('content-type') ?? '';
  if (!/^application\/([\w.+-]+\+)?json\b/i.test(type)) {
    throw new AppError('unsupported_media_type', 'send the body as JSON with Content-Type: application/json');
  }
  await next();
};

/**
 * The one JSON body validator: requires a JSON content type, parses (malformed JSON becomes
 * `invalid_json` in the error renderer) and validates with zod (`validation_failed`, naming fields).
 */
export function jsonBody<S extends z.ZodType>(schema: S) {
  return [
    requireJson,
    validator('json', (value): z.output<S> => {
      const parsed = schema.safeParse(value);
      if (!parsed.success) throw new AppError('validation_failed', describeIssues(parsed.error));
      return parsed.data;
    }),
  ] as const;
}
