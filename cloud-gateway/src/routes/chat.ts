import type { ServerResponse } from 'node:http';
import { Hono } from 'hono';
import { streamSSE } from 'hono/streaming';
// The header that tells @hono/node-server the handler has answered on the Node response itself.
import { X_ALREADY_SENT } from '@hono/node-server/utils/response/constants';
import { AppError, ChatRequestSchema, StreamEventSchema, type ChatRequest } from '@review-assistant/shared';
import { BUSY_RETRY_AFTER_SECONDS, overloadRefusal, runChatTurn, type ChatTurnDeps } from '../chat/chat-turn.js';
import type { GatewayEnv } from '../middleware/gateway-env.js';
import type { RateLimiter } from '../limits/rate-limiter.js';
import { clientIp } from '../middleware/rate-limit.js';
import { addRoute, declareRoute } from './route-declaration.js';
import { contentResponse, errorResponses } from './route-responses.js';
import { bindNodeResponse, NodeSseWriter } from './sse-writer.js';

export interface ChatRoutesOptions {
  turn: ChatTurnDeps;
  limiter: RateLimiter;
  trustProxy: boolean;
  /** Largest request body (the app's `bodyLimit` refuses larger declared lengths first). */
  maxBodyBytes: number;
  /** A client that leaves the stream unread this long is disconnected. @default 30000 */
  clientWriteTimeoutMs?: number | undefined;
}

const chatRoute = declareRoute({
  method: 'post',
  path: '/api/chat',
  summary: 'One chat turn as Server-Sent Events',
  description:
    'Each event is `event: <type>` plus `data: <json>` of one StreamEvent: first `intent`, then `sources`, `answer-delta`*, `answer-end`, or an `error` (e.g. `no_worker`). Rate-limited per client IP (429 with Retry-After); beyond capacity 503 with Retry-After before the stream opens.',
  tags: ['chat'],
  request: { body: ChatRequestSchema },
  responses: { 200: contentResponse('Event stream', 'text/event-stream', StreamEventSchema), ...errorResponses([400, 413, 415, 429, 503]) },
});

const SSE_HEADERS = {
  'content-type': 'text/event-stream',
  'cache-control': 'no-cache',
  connection: 'keep-alive',
  'x-accel-buffering': 'no',
} as const;

/**
 * `POST /api/chat`: one chat turn as Server-Sent Events (`event: <type>`, `data: <json>`).
 *
 * On Node (the server), the events are written straight to the `ServerResponse`: Hono's
 * `streamSSE` pipes each event through two web streams before it reaches the socket, which was
 * a measurable share of the gateway's time per relayed token. The handler answers with a marker
 * response so the middleware chain still runs (request log, metrics, security and request-id
 * headers land on it); once the chain has finished (`setImmediate`), its headers are sent with
 * the stream. Without a Node response (`app.request()` in tests, other runtimes) `streamSSE` is used.
 */
export function createChatRoutes(options: ChatRoutesOptions): Hono<GatewayEnv> {
  const routes = new Hono<GatewayEnv>();
  addRoute(
    routes,
    chatRoute,
    async (c, next) => {
      const decision = await options.limiter.take(clientIp(c, options.trustProxy));
      if (!decision.allowed) {
        c.header('Retry-After', String(decision.retryAfterSeconds));
        throw new AppError('rate_limited', `too many chat messages; retry in ${decision.retryAfterSeconds} s`);
      }
      await next();
    },
    (c) => {
      const request = c.req.valid('json');
      // Beyond capacity, shed with 503 and Retry-After before the stream opens (clients and load
      // balancers read the status; an error event inside a 200 stream looks like a served request).
      const { refusal, decided } = overloadRefusal(options.turn, request, c.get('logger'));
      if (refusal) {
        c.header('Retry-After', String(BUSY_RETRY_AFTER_SECONDS));
        throw refusal;
      }
      const controller = new AbortController();
      const turnContext = { requestId: c.get('requestId'), channel: 'sse' as const, signal: controller.signal, logger: c.get('logger'), ...(decided ? { decided } : {}) };
      const outgoing = (c.env as { outgoing?: ServerResponse } | undefined)?.outgoing;
      if (outgoing) {
        // Read `c.res` once the chain has finished: Hono may replace the response object while merging headers.
        setImmediate(() => void relayToNode(options.turn, request, turnContext, controller, outgoing, c.res.headers, options.clientWriteTimeoutMs));
        return c.body(null, 200, { [X_ALREADY_SENT]: 'true' });
      }
      c.header('X-Accel-Buffering', 'no');
      return streamSSE(c, async (stream) => {
        stream.onAbort(() => controller.abort());
        for await (const event of runChatTurn(options.turn, request, turnContext)) {
          if (stream.aborted) break;
          await stream.writeSSE({ event: event.type, data: JSON.stringify(event) });
        }
      });
    },
  );
  return routes;
}

async function relayToNode(
  deps: ChatTurnDeps,
  request: ChatRequest,
  context: Parameters<typeof runChatTurn>[2],
  controller: AbortController,
  outgoing: ServerResponse,
  middlewareHeaders: Headers,
  clientWriteTimeoutMs: number | undefined,
): Promise<void> {
  const writer = new NodeSseWriter(outgoing, undefined, clientWriteTimeoutMs);
  const headers = { ...bindNodeResponse(outgoing, middlewareHeaders, controller), ...SSE_HEADERS };
  try {
    writer.open(headers);
    for await (const event of runChatTurn(deps, request, context)) {
      if (writer.aborted) break;
      const pending = writer.write(event);
      // The last event ends the response at once; the turn then finishes its bookkeeping (draining
      // the worker's body for keep-alive, the interaction record) without holding the client.
      if (event.type === 'answer-end' || event.type === 'error') writer.end();
      else if (pending) await pending;
    }
  } catch (error) {
    // runChatTurn never throws; a socket error is the client going away.
    context.logger.warn({ err: error }, 'chat stream write failed');
    controller.abort();
  } finally {
    writer.end();
  }
}
