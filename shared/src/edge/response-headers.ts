import { ServerResponse, type IncomingMessage, type OutgoingHttpHeader, type OutgoingHttpHeaders } from 'node:http';
import type { Context } from 'hono';

/** A list of headers as `[lower-case name, value]` pairs. */
export type HeaderList = readonly (readonly [string, string])[];

const defaultsKey = Symbol('edge.defaultHeaders');

/**
 * A `ServerResponse` (`http.createServer({ ServerResponse: EdgeServerResponse })`) that adds the
 * headers every response carries in its one `writeHead`, below whatever the route sets: a header
 * the route passes to `writeHead` or set with `setHeader` (any case) wins. Node validates every
 * header once either way; `setHeader` per header (what a plain `ServerResponse` needs) also
 * allocates a pair for each and copies them all again at `writeHead`, about 1.2 µs of 2.4 for the
 * 13 headers of a gateway response (measured on Node 20). Every path to the wire goes through
 * `writeHead` (`end()` or `write()` without it, `flushHeaders()`), so no response leaves without them.
 */
export class EdgeServerResponse<Request extends IncomingMessage = IncomingMessage> extends ServerResponse<Request> {
  declare private [defaultsKey]: HeaderList[] | undefined;

  /** Adds `headers` to those `writeHead` sends unless the route sets the same name. */
  addDefaultHeaders(headers: HeaderList): void {
    const lists = this[defaultsKey];
    if (lists === undefined) this[defaultsKey] = [headers];
    else lists.push(headers);
  }

  override writeHead(statusCode: number, reasonOrHeaders?: string | OutgoingHttpHeaders | OutgoingHttpHeader[], headers?: OutgoingHttpHeaders | OutgoingHttpHeader[]): this {
    const lists = this[defaultsKey];
    if (lists !== undefined) {
      this[defaultsKey] = undefined;
      if (typeof reasonOrHeaders === 'string') headers = this.withDefaults(lists, headers);
      else {
        // writeHead(status, headers) or writeHead(status, undefined, headers): one list, in the second place
        reasonOrHeaders = this.withDefaults(lists, reasonOrHeaders ?? headers);
        headers = undefined;
      }
    }
    return super.writeHead(statusCode, reasonOrHeaders as string, headers);
  }

  private withDefaults(lists: HeaderList[], given: OutgoingHttpHeaders | OutgoingHttpHeader[] | undefined): OutgoingHttpHeaders | OutgoingHttpHeader[] | undefined {
    if (Array.isArray(given)) {
      // Raw `[name, value, ...]` (no caller in this code base): through `setHeader`, and Node then
      // sets the given ones over them.
      for (const list of lists) for (const [name, value] of list) if (!this.hasHeader(name)) this.setHeader(name, value);
      return given;
    }
    // Headers set with `setHeader` win too; a response normally has none (Node then takes the list
    // as is). A flat `[name, value, ...]` list: Node walks it faster than an object's keys.
    const preset = this.getHeaderNames().length > 0;
    const givenNames: string[] = [];
    const tail: (string | number | readonly string[])[] = [];
    if (given !== undefined) {
      for (const key in given) {
        givenNames.push(key.toLowerCase());
        tail.push(key, given[key] as string);
      }
    }
    const merged: (string | number | readonly string[])[] = [];
    for (const list of lists) {
      for (const [name, value] of list) {
        // The same name from the route in any case wins (defaults are lower case).
        if (givenNames.includes(name) || (preset && this.hasHeader(name))) continue;
        merged.push(name, value);
      }
    }
    for (const item of tail) merged.push(item);
    return merged as OutgoingHttpHeader[];
  }
}

/**
 * Sets headers every response of the request carries; a route's own value for the same name wins.
 * On an `EdgeServerResponse` they are handed to its one `writeHead`; on another Node response they
 * go onto it with `setHeader` (Node merges them into `writeHead`). Hono's `c.header()` would build
 * a WHATWG `Headers`, and setting headers after the route ran would turn `@hono/node-server`'s
 * lightweight response into a full one, which together was the largest cost of the middleware
 * stack per request. Without a Node response (`app.request()`), `c.header()`.
 */
export function setResponseHeaders(c: Context, headers: HeaderList): void {
  const outgoing = (c.env as { outgoing?: ServerResponse } | undefined)?.outgoing;
  if (outgoing && !outgoing.headersSent) {
    if (outgoing instanceof EdgeServerResponse) {
      outgoing.addDefaultHeaders(headers);
      return;
    }
    for (const [name, value] of headers) outgoing.setHeader(name, value);
    return;
  }
  for (const [name, value] of headers) c.header(name, value);
}
