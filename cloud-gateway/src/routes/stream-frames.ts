import type { ServerResponse } from 'node:http';
import type { Context } from 'hono';
import { stream } from 'hono/streaming';
// The header that tells @hono/node-server the handler has answered on the Node response itself.
import { X_ALREADY_SENT } from '@hono/node-server/utils/response/constants';
import type { GatewayEnv } from '../middleware/gateway-env.js';
import type { StreamEvent } from '@review-assistant/shared';
import { bindNodeResponse, NodeSseWriter, sseFrame } from './sse-writer.js';

/** One piece of a streamed response body (an SSE event, an NDJSON line); `last` ends the response. */
export interface Frame {
  text: string;
  last?: boolean;
}

/** A stream event as an SSE frame (`event: <type>`, `data: <json>`); the turn's last event (`answer-end` or `error`) ends the response. */
export function sseEventFrame(event: StreamEvent): Frame {
  return { text: sseFrame(event), last: event.type === 'answer-end' || event.type === 'error' };
}

export interface StreamFramesOptions {
  contentType: string;
  /** A frame the client ignores, sent after `everyMs` without any other (Node only). @default an SSE comment line every 15 s */
  keepAlive?: { frame: () => string; everyMs: number };
  /** @default CLIENT_WRITE_TIMEOUT_MS (Node only) */
  clientWriteTimeoutMs?: number | undefined;
}

/**
 * The one way a gateway route streams its response (the chat UI's SSE, the OpenAI and Ollama
 * streams): `frames` become the response body, which ends with the last frame while the turn
 * finishes its bookkeeping (the worker's body, the interaction record) without holding the client.
 * A client that goes away aborts `controller` (and with it the worker request); one that leaves
 * written data unread for `clientWriteTimeoutMs` is disconnected.
 *
 * On Node the frames are written straight to the `ServerResponse` (`NodeSseWriter`): Hono's
 * stream helpers pipe each frame through two web streams, a measurable share of the gateway's CPU
 * per relayed token. The handler answers with a marker response so the middleware chain still
 * runs (request log, metrics, security and request-id headers); once the chain has finished
 * (`setImmediate`), its headers are sent with the stream. Elsewhere (`app.request()` in tests)
 * Hono's `stream` helper writes the same bytes.
 */
export function streamFrames(c: Context<GatewayEnv>, options: StreamFramesOptions, controller: AbortController, frames: AsyncIterable<Frame>): Response;
/** The same for items that each make one frame (`toFrame`), without a mapping generator per stream. */
export function streamFrames<T>(c: Context<GatewayEnv>, options: StreamFramesOptions, controller: AbortController, items: AsyncIterable<T>, toFrame: (item: T) => Frame): Response;
export function streamFrames<T>(
  c: Context<GatewayEnv>,
  options: StreamFramesOptions,
  controller: AbortController,
  items: AsyncIterable<T>,
  toFrame: (item: T) => Frame = (item) => item as Frame,
): Response {
  const headers = { 'content-type': options.contentType, 'cache-control': 'no-cache', 'x-accel-buffering': 'no' };
  const outgoing = (c.env as { outgoing?: ServerResponse } | undefined)?.outgoing;
  if (outgoing) {
    // Read `c.res` once the chain has finished: the middleware may add its headers after the handler.
    setImmediate(() => void relayFramesToNode(outgoing, { ...bindNodeResponse(outgoing, c.res.headers, controller), ...headers }, options, controller, items, toFrame, c.get('logger')));
    return alreadySentResponse(c);
  }
  for (const [name, value] of Object.entries(headers)) c.header(name, value);
  return stream(c, async (body) => {
    body.onAbort(() => controller.abort());
    let open = true;
    for await (const item of items) {
      if (!open) continue;
      if (body.aborted || controller.signal.aborted) break;
      const frame = toFrame(item);
      await body.write(frame.text);
      if (frame.last) {
        open = false;
        await body.close();
      }
    }
  });
}

/**
 * The marker a streamed route answers Hono with on Node: status 200 (what the request log and the
 * metrics read) and the headers set with `c.header()` before it, plus `X_ALREADY_SENT`, which
 * tells @hono/node-server the response is written elsewhere. A `c.body(null, ...)` response
 * would do, but @hono/node-server's lightweight `Response` keeps no status or headers for a null
 * body: the first read of either (the request context's status, this module's headers, the
 * adapter's own check) built a full undici `Response` and `Headers` per turn, ~3% of its CPU. The
 * headers come from a `c.newResponse('')` (an empty string body is one the lightweight response
 * keeps as given: Hono's headers object, or one made from the marker); nothing reads its body.
 * A middleware that set headers through `c.res` before the route makes Hono merge them into a
 * full response built from this marker (slower, the same bytes).
 */
function alreadySentResponse(c: Context<GatewayEnv>): Response {
  const marker: Pick<Response, 'status' | 'statusText' | 'ok' | 'headers' | 'body' | 'bodyUsed'> = {
    status: 200,
    statusText: '',
    ok: true,
    headers: c.newResponse('', 200, { [X_ALREADY_SENT]: 'true' }).headers,
    body: null,
    bodyUsed: false,
  };
  // Hono and the adapter read only these fields of a handler's response (and pass it as the init
  // of a new `Response` when they merge headers, which reads the same fields).
  return marker as Response;
}

async function relayFramesToNode<T>(
  outgoing: ServerResponse,
  headers: Record<string, string>,
  options: StreamFramesOptions,
  controller: AbortController,
  items: AsyncIterable<T>,
  toFrame: (item: T) => Frame,
  logger: GatewayEnv['Variables']['logger'],
): Promise<void> {
  const writer = new NodeSseWriter(outgoing, options.keepAlive?.everyMs, options.clientWriteTimeoutMs, options.keepAlive?.frame);
  let open = true;
  try {
    writer.open(headers);
    for await (const item of items) {
      // After the last frame the rest is read without writing, so the turn can finish its bookkeeping.
      if (!open) continue;
      if (writer.aborted || controller.signal.aborted) break;
      const frame = toFrame(item);
      const pending = writer.writeFrame(frame.text);
      if (frame.last) {
        open = false;
        writer.end();
      } else if (pending) await pending;
    }
  } catch (error) {
    // The turns never throw; a socket error is the client going away.
    logger.warn({ err: error }, 'stream write failed');
    controller.abort();
  } finally {
    writer.end();
  }
}
