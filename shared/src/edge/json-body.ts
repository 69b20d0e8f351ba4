import type { Context, MiddlewareHandler } from 'hono';
import type { z } from 'zod';
import { AppError } from '../errors.js';
import { readRequestBody } from './request-body.js';
import { requestHeader } from './request-header.js';

/** The one issue formatter: each problem of a failed zod parse as `path: message` (at most 5). */
export function describeIssues(error: z.ZodError): string {
  return error.issues
    .slice(0, 5)
    .map((issue) => {
      const path = issue.path.map(String).join('.') || '(body)';
      const message = issue.code === 'unrecognized_keys' ? `unknown field(s) ${issue.keys.join(', ')}` : issue.message;
      return `${path}: ${message}`;
    })
    .join('; ');
}

const withoutBom = (text: string) => (text.charCodeAt(0) === 0xfeff ? text.slice(1) : text);

const JSON_TYPE = /^application\/([\w.+-]+\+)?json\b/i;

export interface ParseJsonBodyOptions {
  /** Accept a body without Content-Type (signed service-to-service calls). @default false */
  allowMissingContentType?: boolean;
  /** A limit below the app's own for this route (read with `readRequestBody`). */
  maxBytes?: number;
}

/**
 * The one JSON body validator of both services: a JSON content type (else 415), the body read
 * under the app's limit (413, see `readRequestBody`), parsed (400 `invalid_json`) and validated
 * with zod (400 `validation_failed` naming each field, the issues also in `details`).
 */
export async function parseJsonBody<S extends z.ZodType>(c: Context, schema: S, options: ParseJsonBodyOptions = {}): Promise<z.output<S>> {
  const type = requestHeader(c, 'content-type');
  if (type === undefined ? !options.allowMissingContentType : !JSON_TYPE.test(type)) {
    throw new AppError('unsupported_media_type', 'send the body as JSON with Content-Type: application/json');
  }
  // Under a route's own limit the bytes are decoded here: `c.req.text()` after another reader
  // would rebuild the body through a WHATWG Response and its web stream, a cost per request.
  // A leading byte order mark is dropped, as `c.req.text()` (the WHATWG UTF-8 decode) drops it.
  const text = options.maxBytes === undefined ? await c.req.text() : withoutBom((await readRequestBody(c, options.maxBytes)).toString('utf8'));
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch (cause) {
    throw new AppError('invalid_json', text.trim().length === 0 ? 'the body is empty; expected JSON' : 'the body is not valid JSON', { cause });
  }
  const parsed = schema.safeParse(value);
  if (!parsed.success) {
    const details = parsed.error.issues.slice(0, 20).map((issue) => ({ path: issue.path.map(String).join('.') || '(body)', message: issue.message }));
    throw new AppError('validation_failed', describeIssues(parsed.error), { details });
  }
  return parsed.data;
}

/**
 * `parseJsonBody` as route middleware; the handler reads the result with `c.req.valid('json')`.
 * The env stays open (any) so the middleware fits any route, as Hono's own validator does.
 */
export function jsonBody<S extends z.ZodType>(schema: S): MiddlewareHandler<any, string, { in: { json: z.input<S> }; out: { json: z.output<S> } }> {
  return async (c, next) => {
    c.req.addValidatedData('json', (await parseJsonBody(c, schema)) as object);
    await next();
  };
}

/** The query string validated with zod: 400 `validation_failed` naming each parameter through the one issue formatter. */
export function parseQuery<S extends z.ZodType>(c: Context, schema: S): z.output<S> {
  const parsed = schema.safeParse(c.req.query());
  if (!parsed.success) throw new AppError('validation_failed', describeIssues(parsed.error));
  return parsed.data;
}
