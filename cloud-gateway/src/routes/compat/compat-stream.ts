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

/**
 * Streams `frames` (already framed text: SSE events or NDJSON lines) as the response body.
 * A client that goes away aborts `controller` (and with it the worker request).
 */
export function streamFrames(c: Context<GatewayEnv>, contentType: string, controller: AbortController, frames: AsyncIterable<string>): Response {
  c.header('Content-Type', contentType);
  c.header('Cache-Control', 'no-cache');
  c.header('X-Accel-Buffering', 'no');
  return stream(c, async (body) => {
    body.onAbort(() => controller.abort());
    for await (const frame of frames) {
      if (body.aborted || controller.signal.aborted) break;
      await body.write(frame);
    }
  });
}

/** The whole answer of a non-streamed request: its text and its end (a failure after text is a 502). */
export async function collectAnswer(pieces: AsyncGenerator<CompatTurnPiece>): Promise<{ content: string; end: CompatTurnEnd }> {
  let content = '';
  for await (const piece of pieces) {
    if (piece.type === 'text') content += piece.text;
    else if (piece.type === 'error') throw new AppError('worker_stream_broken', `the answer broke off: ${piece.message}`);
    else return { content, end: piece };
  }
  throw new AppError('cancelled', 'the request was cancelled before the answer ended');
}
