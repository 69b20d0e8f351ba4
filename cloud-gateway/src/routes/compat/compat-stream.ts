import type { Context } from 'hono';
import { stream } from 'hono/streaming';
import { AppError, ErrorCodeSchema } from '@review-assistant/shared';
import type { GatewayEnv } from '../../middleware/gateway-env.js';
import type { CompatTurnEnd, CompatTurnPiece } from './compat-turn.js';

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
 * Waits for the turn's first piece before answering, so a turn that fails before any text (no
 * worker, worker busy) becomes a real HTTP error in the protocol's shape (clients retry on 503),
 * not a 200 stream carrying an error. Returns the pieces with the first one put back.
 */
export async function firstPieceOrThrow(pieces: AsyncGenerator<CompatTurnPiece>): Promise<AsyncGenerator<CompatTurnPiece>> {
  const first = await pieces.next();
  if (!first.done && first.value.type === 'error') throw pieceError(first.value);
  return (async function* () {
    if (first.done) return;
    yield first.value;
    yield* pieces;
  })();
}

/** One piece of a streamed response body (an SSE event, an NDJSON line); `last` ends the response. */
export interface Frame {
  text: string;
  last?: boolean;
}

/**
 * Streams `frames` as the response body. The response ends with the last frame, while the turn
 * finishes its bookkeeping (the worker's body, the interaction record) without holding the
 * client. A client that goes away aborts `controller` (and with it the worker request).
 */
export function streamFrames(c: Context<GatewayEnv>, contentType: string, controller: AbortController, frames: AsyncIterable<Frame>): Response {
  c.header('Content-Type', contentType);
  c.header('Cache-Control', 'no-cache');
  c.header('X-Accel-Buffering', 'no');
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
