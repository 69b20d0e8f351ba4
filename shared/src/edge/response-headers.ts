import type { ServerResponse } from 'node:http';
import type { Context } from 'hono';

/**
 * Sets headers every response of the request carries. On Node they go straight onto the
 * `ServerResponse` (Node merges them into `writeHead`, where a route's own value for the same
 * name wins): Hono's `c.header()` would build a WHATWG `Headers`, and setting headers after the
 * route ran would turn `@hono/node-server`'s lightweight response into a full one, which together
 * was the largest cost of the middleware stack per request. Without a Node response
 * (`app.request()`), `c.header()`.
 */
export function setResponseHeaders(c: Context, headers: readonly (readonly [string, string])[]): void {
  const outgoing = (c.env as { outgoing?: ServerResponse } | undefined)?.outgoing;
  if (outgoing && !outgoing.headersSent) {
    for (const [name, value] of headers) outgoing.setHeader(name, value);
    return;
  }
  for (const [name, value] of headers) c.header(name, value);
}
