import type { MiddlewareHandler } from 'hono';
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

const JSON_TYPE = /^application\/([\w.+-]+\+)?json\b/i;

/**
 * The one JSON body validator: requires a JSON content type (415), reads the body under the app's
 * limit (413, see `requestBodyLimit`), parses it (400 `invalid_json`) and validates it with zod
 * (400 `validation_failed`, naming fields). The handler reads the result with `c.req.valid('json')`.
 */
// The env stays open (any) so the middleware fits any route, as Hono's own validator does.
export function jsonBody<S extends z.ZodType>(schema: S): MiddlewareHandler<any, string, { in: { json: z.input<S> }; out: { json: z.output<S> } }> {
  return async (c, next) => {
    if (!JSON_TYPE.test(c.req.header('content-type') ?? '')) {
      throw new AppError('unsupported_media_type', 'send the body as JSON with Content-Type: application/json');
    }
    const text = await c.req.text();
    let value: unknown;
    try {
      value = JSON.parse(text);
    } catch {
      throw new AppError('invalid_json', 'the body is not valid JSON');
    }
    const parsed = schema.safeParse(value);
    if (!parsed.success) throw new AppError('validation_failed', describeIssues(parsed.error));
    c.req.addValidatedData('json', parsed.data as object);
    await next();
  };
}
