import type { ServerResponse } from 'node:http';
import type { Context } from 'hono';
import { AppError, ErrorCodeSchema } from '@review-assistant/shared';
import type { GatewayEnv } from '../../middleware/gateway-env.js';
import type { ChatRequest } from '@review-assistant/shared';
import { admitTurn, type ChatTurnDeps } from '../../chat/chat-turn.js';
import { abortWhenClientLeaves } from '../sse-writer.js';
import { runCompatTurn, type CompatTurnContext, type CompatTurnEnd, type CompatTurnPiece } from './compat-turn.js';

/** An error piece as a typed error (codes from the worker outside the catalogue count as `worker_unavailable`). */
export function pieceError(piece: Extract<CompatTurnPiece, { type: 'error' }>): AppError {
  const code = ErrorCodeSchema.safeParse(piece.code);
  return new AppError(code.success ? code.data : 'worker_unavailable', piece.message, { retryable: piece.retryable });
}

/**
 * An AbortController that follows the client: aborted when the HTTP request goes away, so the
 * turn and its worker request stop. On Node it follows the response (`abortWhenClientLeaves`):
 * `c.req.raw.signal` made @hono/node-server build a full WHATWG `Request` (undici, a web stream,
 * an `AbortController`) per request, about 8% of the CPU of a compatible chat turn. Elsewhere
 * (`app.request()` in tests) the request's own signal.
 */
export function clientAbort(c: Context<GatewayEnv>): AbortController {
  const controller = new AbortController();
  const outgoing = (c.env as { outgoing?: ServerResponse } | undefined)?.outgoing;
  if (outgoing) {
    abortWhenClientLeaves(outgoing, controller);
    return controller;
  }
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
  if (settled && !settled.result.done && settled.result.value.type === 'error') {
    // the turn's own `finally` (the gauge, the interaction record) runs only when it is closed
    void pieces.return(undefined);
    throw pieceError(settled.result.value);
  }
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
 * Starts a compatible API's turn for the request of `c`: admitted like the chat UI's (beyond
 * capacity a 503 `worker_busy` with Retry-After, thrown before the turn starts), following the
 * client (`clientAbort`), carrying the request's id and logger, and failing as an HTTP error when
 * its first piece is an error (`firstPieceOrThrow`). Returns the pieces and the controller that stops them.
 */
export async function startCompatTurn(
  c: Context<GatewayEnv>,
  deps: ChatTurnDeps,
  request: ChatRequest,
  start: CompatTurnStart,
): Promise<{ controller: AbortController; pieces: AsyncGenerator<CompatTurnPiece> }> {
  const controller = clientAbort(c);
  const { refusal, admitted } = admitTurn(deps, request, c.get('logger'), controller.signal);
  if (refusal) throw refusal;
  const { firstPieceWaitMs, ...context } = start;
  const pieces = await firstPieceOrThrow(
    runCompatTurn(deps, request, { ...context, requestId: c.get('requestId'), signal: controller.signal, logger: c.get('logger'), admitted }),
    firstPieceWaitMs,
  );
  return { controller, pieces };
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
