import type { IncomingMessage } from 'node:http';
import type { Context } from 'hono';

/**
 * A request header (case-insensitive name), `undefined` when absent. On Node it is read from the
 * `IncomingMessage` that Node already parsed (repeated headers joined with `, `, as `Headers.get`
 * does): Hono's `c.req.header()` makes `@hono/node-server` build a WHATWG `Headers` of every
 * header first, a cost per request for the one or two the edge reads. Under `app.request()`,
 * `c.req.header()`.
 */
export function requestHeader(c: Context, name: string): string | undefined {
  const incoming = (c.env as { incoming?: IncomingMessage } | undefined)?.incoming;
  if (!incoming) return c.req.header(name);
  const value = incoming.headers[name.toLowerCase()];
  return Array.isArray(value) ? value.join(', ') : value;
}
