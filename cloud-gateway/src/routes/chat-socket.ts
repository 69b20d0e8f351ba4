import { Hono, type MiddlewareHandler } from 'hono';
import type { UpgradeWebSocket, WSContext } from 'hono/ws';
import {
  publicErrorMessage,
  WsClientMessageSchema,
  WsServerMessageSchema,
  type StreamEvent,
  type WsServerMessage,
} from '@review-assistant/shared';
import { admitTurn, runChatTurn, type AdmittedTurn, type ChatTurnDeps } from '../chat/chat-turn.js';
import type { GatewayEnv } from '../middleware/gateway-env.js';
import type { RateLimiter } from '../limits/rate-limiter.js';
import { clientIp } from '../middleware/rate-limit.js';
import { describeIssues } from '@review-assistant/shared/edge';
import { addRoute, declareRoute } from './route-declaration.js';
import { errorResponses, jsonResponse } from './route-responses.js';

export interface ChatSocketRoutesOptions {
  turn: ChatTurnDeps;
  limiter: RateLimiter;
  trustProxy: boolean;
  upgradeWebSocket: UpgradeWebSocket;
  /** A socket whose send buffer stays over the high-water mark this long is closed. @default 30000 */
  clientWriteTimeoutMs?: number | undefined;
  /** Ping every this often; a socket that did not answer the previous ping is closed. @default 30000 */
  pingIntervalMs?: number | undefined;
}

/** What the route uses of `ws`'s WebSocket (the `raw` socket under Hono's `WSContext` on Node). */
interface RawSocket {
  bufferedAmount: number;
  ping(): void;
  terminate(): void;
  on(event: 'pong', listener: () => void): unknown;
}

function rawSocket(ws: WSContext): RawSocket | undefined {
  const raw = ws.raw as Partial<RawSocket> | undefined;
  return typeof raw?.ping === 'function' && typeof raw.terminate === 'function' ? (raw as RawSocket) : undefined;
}

/** Pause sending while this much is queued on the socket (a slow client must not grow memory). */
const HIGH_WATER_BYTES = 256 * 1024;

const chatSocketRoute = declareRoute({
  method: 'get',
  path: '/ws/chat',
  summary: 'Chat over WebSocket',
  description:
    'Client messages (JSON text, at most 256 KiB): `{type: "chat", turnId, request: ChatRequest}` starts a turn, `{type: "cancel", turnId}` aborts it (and the worker request). Server messages: `{turnId, event: StreamEvent}`, the same events as /api/chat. When the worker pool is full a turn is refused before it starts with one retryable `worker_busy` error event. Upgrades from origins outside CORS_ORIGINS and beyond the connection caps are refused.',
  tags: ['chat'],
  responses: {
    101: jsonResponse('Switching protocols; each server message is one of these', WsServerMessageSchema),
    ...errorResponses([[400, 'Not a valid WebSocket handshake'], [403, 'Origin not allowed'], [426, 'Unsupported Sec-WebSocket-Version'], [429, 'Too many connections from this address'], [503, 'No room for more connections']]),
  },
});

/**
 * `GET /ws/chat`: `{type:'chat', turnId, request}` starts a turn and `{type:'cancel', turnId}`
 * aborts it (and the worker request). Events come back as `{turnId, event}`, one turn at a time.
 */
export function createChatSocketRoutes(options: ChatSocketRoutesOptions): Hono<GatewayEnv> {
  const routes = new Hono<GatewayEnv>();
  const clientWriteTimeoutMs = options.clientWriteTimeoutMs ?? 30_000;
  const pingIntervalMs = options.pingIntervalMs ?? 30_000;
  addRoute(
    routes,
    chatSocketRoute,
    // Hono types the upgrade middleware with a WebSocket output format; it is this route's handler.
    options.upgradeWebSocket((c) => {
      const ip = clientIp(c as never, options.trustProxy);
      const logger = (c as { get(key: 'logger'): GatewayEnv['Variables']['logger'] }).get('logger');
      const socketId = (c as { get(key: 'requestId'): string }).get('requestId');
      let current: { turnId: string; controller: AbortController } | undefined;
      let turnCount = 0;

      let pingTimer: NodeJS.Timeout | undefined;
      let overHighWaterSince: number | undefined;
      /** True while the send buffer is over the high-water mark; closes the socket once that lasted too long. */
      const backedUp = (ws: WSContext): boolean => {
        const raw = rawSocket(ws);
        if (!raw || raw.bufferedAmount <= HIGH_WATER_BYTES) {
          overHighWaterSince = undefined;
          return false;
        }
        overHighWaterSince ??= Date.now();
        if (Date.now() - overHighWaterSince > clientWriteTimeoutMs) {
          logger.warn({ bufferedBytes: raw.bufferedAmount }, 'chat socket closed: the client stopped reading');
          current?.controller.abort();
          raw.terminate();
        }
        return true;
      };
      const send = async (ws: WSContext, message: WsServerMessage) => {
        while (ws.readyState === 1 && backedUp(ws)) {
          await new Promise((resolve) => setTimeout(resolve, 10));
        }
        if (ws.readyState === 1) ws.send(JSON.stringify(message));
      };
      const fail = (ws: WSContext, turnId: string | null, code: string, message: string, retryable = false) =>
        send(ws, { turnId, event: { type: 'error', code, message, retryable } });

      const runTurn = async (ws: WSContext, turnId: string, controller: AbortController, request: Parameters<typeof runChatTurn>[1], admitted: AdmittedTurn) => {
        turnCount += 1;
        const requestId = `${socketId}-${turnCount}`;
        try {
          const turn = runChatTurn(options.turn, request, { requestId, channel: 'ws', signal: controller.signal, logger: logger.child({ requestId }), admitted });
          for await (const event of turn) {
            if (controller.signal.aborted) break;
            await send(ws, { turnId, event: event satisfies StreamEvent });
          }
        } finally {
          if (current?.turnId === turnId) current = undefined;
        }
      };

      return {
        onOpen(_event, ws) {
          const raw = rawSocket(ws);
          if (!raw) return;
          // A peer that vanished without a FIN (or stopped reading entirely) is found by its
          // missing pong, or by a send buffer that stays full, and closed.
          let alive = true;
          raw.on('pong', () => {
            alive = true;
          });
          pingTimer = setInterval(() => {
            if (!alive) {
              logger.info('chat socket closed: no pong');
              current?.controller.abort();
              raw.terminate();
              return;
            }
            alive = false;
            backedUp(ws);
            raw.ping();
          }, pingIntervalMs);
          pingTimer.unref();
        },
        onMessage(message, ws) {
          const text = typeof message.data === 'string' ? message.data : '';
          // larger messages never get here: the WebSocket server's maxPayload closes the socket (1009)
          if (text.length === 0) {
            void fail(ws, null, 'bad_request', 'send JSON text messages');
            return;
          }
          let value: unknown;
          try {
            value = JSON.parse(text);
          } catch {
            void fail(ws, null, 'invalid_json', 'message is not valid JSON');
            return;
          }
          const parsed = WsClientMessageSchema.safeParse(value);
          if (!parsed.success) {
            const turnId = typeof (value as { turnId?: unknown })?.turnId === 'string' ? (value as { turnId: string }).turnId : null;
            void fail(ws, turnId, 'validation_failed', describeIssues(parsed.error));
            return;
          }
          const command = parsed.data;
          if (command.type === 'cancel') {
            if (current?.turnId === command.turnId) current.controller.abort();
            return;
          }
          if (current) {
            void fail(ws, command.turnId, 'bad_request', `turn ${current.turnId} is still running; cancel it or wait for it to end`);
            return;
          }
          // the turn counts as running from here, so a message that arrives while the (possibly
          // shared, asynchronous) rate limit is asked cannot start a second one
          const turn = { turnId: command.turnId, controller: new AbortController() };
          current = turn;
          const admit = async () => {
            const decision = await options.limiter.take(ip);
            if (!decision.allowed) {
              if (current === turn) current = undefined;
              await fail(ws, command.turnId, 'rate_limited', `too many chat messages; retry in ${decision.retryAfterSeconds} s`, true);
              return;
            }
            // The same admission as POST /api/chat: beyond capacity the turn is refused before it
            // starts (one retryable worker_busy event, no intent), and an admitted one holds its slot.
            const { refusal, admitted } = admitTurn(options.turn, command.request, logger, turn.controller.signal);
            if (refusal) {
              if (current === turn) current = undefined;
              await fail(ws, command.turnId, refusal.code, publicErrorMessage(refusal.code, refusal.message), true);
              return;
            }
            await runTurn(ws, command.turnId, turn.controller, command.request, admitted);
          };
          void admit().catch((error: unknown) => logger.error({ err: error }, 'websocket turn failed'));
        },
        onClose() {
          clearInterval(pingTimer);
          current?.controller.abort();
        },
        onError(event) {
          logger.warn({ reason: (event as Event & { message?: string }).message }, 'chat socket error');
          current?.controller.abort();
        },
      };
    }) as MiddlewareHandler<GatewayEnv>,
  );
  return routes;
}
