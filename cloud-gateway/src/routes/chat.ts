import { Hono } from 'hono';
import { AppError, ChatRequestSchema, StreamEventSchema } from '@review-assistant/shared';
import { admitTurn, runChatTurn, type ChatTurnDeps } from '../chat/chat-turn.js';
import type { GatewayEnv } from '../middleware/gateway-env.js';
import type { RateLimiter } from '../limits/rate-limiter.js';
import { clientIp } from '../middleware/rate-limit.js';
import { addRoute, declareRoute } from './route-declaration.js';
import { contentResponse, errorResponses } from './route-responses.js';
import { sseEventFrame, streamFrames } from './stream-frames.js';

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

/**
 * `POST /api/chat`: one chat turn as Server-Sent Events (`event: <type>`, `data: <json>`),
 * streamed the one way the gateway streams (`streamFrames`).
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
      const controller = new AbortController();
      // Beyond capacity, shed with 503 and Retry-After (the error renderer's) before the stream
      // opens: clients and load balancers read the status, and an error event inside a 200 stream
      // looks like a served request. An admitted worker turn holds its reserved capacity from here.
      const { refusal, admitted } = admitTurn(options.turn, request, c.get('logger'), controller.signal);
      if (refusal) throw refusal;
      const turnContext = { requestId: c.get('requestId'), channel: 'sse' as const, signal: controller.signal, logger: c.get('logger'), admitted };
      return streamFrames(c, { contentType: 'text/event-stream', clientWriteTimeoutMs: options.clientWriteTimeoutMs }, controller, runChatTurn(options.turn, request, turnContext), sseEventFrame);
    },
  );
  return routes;
}
