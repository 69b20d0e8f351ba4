import { Hono } from 'hono';
import { streamSSE } from 'hono/streaming';
import { AppError, ChatRequestSchema } from '@review-assistant/shared';
import { runChatTurn, type ChatTurnDeps } from '../chat/chat-turn.js';
import type { GatewayEnv } from '../middleware/gateway-env.js';
import { clientIp, type TokenBucketLimiter } from '../middleware/rate-limit.js';
import { jsonBody } from '../middleware/validation.js';

export interface ChatRoutesOptions {
  turn: ChatTurnDeps;
  limiter: TokenBucketLimiter;
  trustProxy: boolean;
}

/** `POST /api/chat`: one chat turn as Server-Sent Events (`event: <type>`, `data: <json>`). */
export function createChatRoutes(options: ChatRoutesOptions): Hono<GatewayEnv> {
  const routes = new Hono<GatewayEnv>();
  routes.post(
    '/api/chat',
    async (c, next) => {
      const decision = options.limiter.take(clientIp(c, options.trustProxy));
      if (!decision.allowed) {
        c.header('Retry-After', String(decision.retryAfterSeconds));
        throw new AppError('rate_limited', `too many chat messages; retry in ${decision.retryAfterSeconds} s`);
      }
      await next();
    },
    ...jsonBody(ChatRequestSchema),
    (c) => {
      const request = c.req.valid('json');
      const controller = new AbortController();
      c.header('X-Accel-Buffering', 'no');
      return streamSSE(c, async (stream) => {
        stream.onAbort(() => controller.abort());
        const turn = runChatTurn(options.turn, request, {
          requestId: c.get('requestId'),
          channel: 'sse',
          signal: controller.signal,
          logger: c.get('logger'),
        });
        for await (const event of turn) {
          if (stream.aborted) break;
          await stream.writeSSE({ event: event.type, data: JSON.stringify(event) });
        }
      });
    },
  );
  return routes;
}
