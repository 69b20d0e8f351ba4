import type { ServerResponse } from 'node:http';
import type { Context } from 'hono';
import { stream } from 'hono/streaming';
// The header that tells @hono/node-server the handler has answered on the Node response itself.
import { X_ALREADY_SENT } from '@hono/node-server/utils/response/constants';
import { AppError, ErrorCodeSchema } from '@review-assistant/shared';
import type { GatewayEnv } from '../../middleware/gateway-env.js';
import { bindNodeResponse, NodeSseWriter } from '../sse-writer.js';
import type { ChatRequest } from '@review-assistant/shared';
import type { ChatTurnDeps } from '../../chat/chat-turn.js';
import { runCompatTurn, type CompatTurnContext, type CompatTurnEnd, type CompatTurnPiece } from './compat-turn.js';

/** An error piece as a typed error (codes from the worker outside the catalogue count as `worker_unavailable`). */
export function pieceError(piece: Extract<CompatTurnPiece, { type: 'error' }>): AppError {
  const code = ErrorCodeSchema.safeParse(piece.code);
  return new AppError(code.success ? code.data : 'worker_unavailable', piece.message, { retryable: piece.retryable });
}

/**
 * An AbortController that follows the client: aborted when the HTTP request goes away (the Node
 * server aborts `c.req.raw.signal` on a premature close), so the turn and its worker request stop.
 */
export function clientAbort(c: Context<GatewayEnv>): AbortController {
  const controller = new AbortController();
  const signal = c.req.raw.signal;
  if (signal.aborted) controller.abort();
  else signal.addEventListener('abort', () => controller.abort(), { once: true });
  return controller;
}

/**
 * Waits (up to `waitMs`) for the turn's first piece before answering, so a turn that fails at
 * once (no worker, worker busy) becomes a real HTTP error in the protocol's shape (clients retry
 * on 503), not a 200 stream carrying an error. A first piece that takes longer (a cold model)
 * lets the stream start without it, so keep-alives can hold the connection open; a later failure
 * is then reported inside the stream. Returns the pieces with the first one put back.
 */
export async function firstPieceOrThrow(pieces: AsyncGenerator<CompatTurnPiece>, waitMs = Number.POSITIVE_INFINITY): Promise<AsyncGenerator<CompatTurnPiece>> {
  const first = pieces.next();
  let timer: NodeJS.Timeout | undefined;
  const waited = Number.isFinite(waitMs) ? new Promise<null>((resolve) => (timer = setTimeout(() => resolve(null), waitMs))) : new Promise<null>(() => undefined);
  const settled = await Promise.race([first.then((result) => ({ result })), waited]);
  clearTimeout(timer);
  if (settled && !settled.result.done && settled.result.value.type === 'error') throw pieceError(settled.result.value);
  return (async function* () {
    const result = settled ? settled.result : await first;
    if (result.done) return;
    yield result.value;
    yield* pieces;
  })();
}

/** How a compatible route starts its turn, besides what the request context gives (id, logger, client). */
export interface CompatTurnStart extends Pick<CompatTurnContext, 'channel' | 'stop' | 'maxTokens'> {
  /** How long to wait for the first piece before answering (`firstPieceOrThrow`). @default unbounded */
  firstPieceWaitMs?: number | undefined;
}

/**
 * Starts a compatible API's turn for the request of `c`: the turn follows the client
 * (`clientAbort`), carries the request's id and logger, and fails as an HTTP error when its first
 * piece is an error (`firstPieceOrThrow`). Returns the pieces and the controller that stops them.
 */
export async function startCompatTurn(
  c: Context<GatewayEnv>,
  deps: ChatTurnDeps,
  request: ChatRequest,
  start: CompatTurnStart,
): Promise<{ controller: AbortController; pieces: AsyncGenerator<CompatTurnPiece> }> {
  const controller = clientAbort(c);
  const { firstPieceWaitMs, ...context } = start;
  const pieces = await firstPieceOrThrow(
    runCompatTurn(deps, request, { ...context, requestId: c.get('requestId'), signal: controller.signal, logger: c.get('logger') }),
    firstPieceWaitMs,
  );
  return { controller, pieces };
}

/** One piece of a streamed response body (an SSE event, an NDJSON line); `last` ends the response. */
export interface Frame {
  text: string;
  last?: boolean;
}

/**
 * Streams `frames` as the response body. The response ends with the last frame, while the turn
 * finishes its bookkeeping (the worker's body, the interaction record) without holding the
 * client. A client that goes away aborts `controller` (and with it the worker request); one that
 * leaves written data unread for `clientWriteTimeoutMs` is disconnected. On Node the frames are
 * written straight to the response (`NodeSseWriter`, as the chat UI's SSE route does: no web
 * stream hops per frame); elsewhere (`app.request()`) through Hono's stream helper.
 */
export function streamFrames(c: Context<GatewayEnv>, options: StreamFramesOptions, controller: AbortController, frames: AsyncIterable<Frame>): Response {
  c.header('Content-Type', options.contentType);
  c.header('Cache-Control', 'no-cache');
  c.header('X-Accel-Buffering', 'no');
  const outgoing = (c.env as { outgoing?: ServerResponse } | undefined)?.outgoing;
  if (outgoing) {
    // Read `c.res` once the chain has finished: the middleware adds its headers after the handler.
    setImmediate(() => void relayFramesToNode(outgoing, c.res.headers, options, controller, frames, c.get('logger')));
    return c.body(null, 200, { [X_ALREADY_SENT]: 'true' });
  }
  return stream(c, async (body) => {
    body.onAbort(() => controller.abort());
    let open = true;
    for await (const frame of frames) {
      if (!open) continue;
      if (body.aborted || controller.signal.aborted) break;
      await body.write(frame.text);
      if (frame.last) {
        open = false;
        await body.close();
      }
    }
  });
}

async function relayFramesToNode(
  outgoing: ServerResponse,
  middlewareHeaders: Headers,
  options: StreamFramesOptions,
  controller: AbortController,
  frames: AsyncIterable<Frame>,
  logger: GatewayEnv['Variables']['logger'],
): Promise<void> {
  const writer = new NodeSseWriter(outgoing, options.keepAlive?.everyMs, options.clientWriteTimeoutMs, options.keepAlive?.frame);
  const headers = bindNodeResponse(outgoing, middlewareHeaders, controller);
  let open = true;
  try {
    writer.open(headers);
    for await (const frame of frames) {
      if (!open) continue;
      if (writer.aborted || controller.signal.aborted) break;
      const pending = writer.writeFrame(frame.text);
      if (frame.last) {
        open = false;
        writer.end();
      } else if (pending) await pending;
    }
  } catch (error) {
    logger.warn({ err: error }, 'compatible API stream write failed');
    controller.abort();
  } finally {
    writer.end();
  }
}

export interface StreamFramesOptions {
  contentType: string;
  /** A frame the client ignores (an SSE comment), sent after `everyMs` without any other (Node only). */
  keepAlive?: { frame: () => string; everyMs: number };
  /** @default CLIENT_WRITE_TIMEOUT_MS (Node only) */
  clientWriteTimeoutMs?: number;
}

/**
 * The whole answer of a non-streamed request: its text and its end (a failure after text is a
 * 502). It returns at the end piece; the turn finishes its bookkeeping in the background.
 */
export async function collectAnswer(pieces: AsyncGenerator<CompatTurnPiece>): Promise<{ content: string; end: CompatTurnEnd }> {
  let content = '';
  for (;;) {
    const next = await pieces.next();
    if (next.done) throw new AppError('cancelled', 'the request was cancelled before the answer ended');
    const piece = next.value;
    if (piece.type === 'text') content += piece.text;
    else if (piece.type === 'error') throw new AppError('worker_stream_broken', `the answer broke off: ${piece.message}`);
    else {
      void drain(pieces);
      return { content, end: piece };
    }
  }
}

async function drain(pieces: AsyncGenerator<CompatTurnPiece>): Promise<void> {
  while (!(await pieces.next()).done) {
    // nothing follows the end piece; this lets the turn close the worker's body and record itself
  }
}
