import { STATUS_CODES, type IncomingMessage, type Server } from 'node:http';
import type { Duplex } from 'node:stream';
import { defineWebSocketHelper, WSContext, type UpgradeWebSocket, type WSEvents } from 'hono/ws';
import type { Logger } from 'pino';
import { WebSocketServer, type RawData, type WebSocket } from 'ws';
import { AppError, type ErrorBody } from '@review-assistant/shared';
import { incomingClientIp } from '../middleware/rate-limit.js';
import type { TrustedEdge } from '../middleware/trusted-edge.js';
import { ConnectionLimits } from './connection-limits.js';
import { checkUpgrade } from './upgrade-check.js';

export interface NodeWebSocketOptions {
  /** The Hono app; the adapter only calls its `request()`. */
  app: { request(input: URL, init: RequestInit, env: object): Response | Promise<Response> };
  /** The one path that accepts upgrades. */
  path: string;
  /** Largest message a client may send, in bytes (ws's default is 100 MiB). */
  maxPayload: number;
  /** Origins allowed besides the page's own (`CORS_ORIGINS`). */
  allowedOrigins: readonly string[];
  maxConnections: number;
  maxConnectionsPerIp: number;
  trustProxy: boolean;
  /** The trusted edge, whose reported viewer address keys the per-IP cap. */
  edge?: TrustedEdge | undefined;
  logger: Logger;
}

export interface NodeWebSocket {
  /** Route middleware: `routes.get(path, upgradeWebSocket((c) => events))`. */
  upgradeWebSocket: UpgradeWebSocket<WebSocket>;
  /** Takes over the `upgrade` event of the HTTP server returned by `serve()`. */
  injectWebSocket(server: Server): void;
  wss: WebSocketServer;
  /** Connections counted now: open sockets plus handshakes in progress. */
  connections(): number;
}

/** Where the route's middleware leaves its events for the upgrade handler (in the Hono env). */
const UPGRADE_SLOT = Symbol('websocket-upgrade-slot');
interface UpgradeSlot {
  events?: WSEvents<WebSocket>;
}

/**
 * The gateway's WebSocket adapter for Hono on Node, in place of `@hono/node-ws`, whose upgrade
 * handler can crash the process and leak: it leaves the socket without an `error` listener while
 * the app runs (a TCP reset then throws an unhandled ECONNRESET), runs the whole app for upgrades
 * on any path, and keeps a request in its waiter map forever when `ws` refuses the handshake
 * (a missing key). Here, in order, before anything is allocated for the connection:
 *
 * 1. the socket gets an `error` listener for its whole life;
 * 2. the request is checked as a WebSocket handshake on `path` (method, headers, key, Origin);
 * 3. the client IP and the gateway get a connection slot (released when the socket closes);
 * 4. only then the app runs (request id, logging, the route's `upgradeWebSocket`), and `ws`
 *    completes the handshake synchronously; the events are bound in the same tick.
 *
 * Every refusal is a complete HTTP response with the JSON error shape and `Connection: close`;
 * the socket is destroyed once it is written, so a client that never closes holds nothing.
 */
export function createNodeWebSocket(options: NodeWebSocketOptions): NodeWebSocket {
  const wss = new WebSocketServer({ noServer: true, maxPayload: options.maxPayload });
  const limits = new ConnectionLimits({ maxTotal: options.maxConnections, maxPerIp: options.maxConnectionsPerIp });
  const logger = options.logger;

  const upgradeWebSocket = defineWebSocketHelper<WebSocket>((c, events) => {
    const slot = (c.env as Record<symbol, UpgradeSlot | undefined> | undefined)?.[UPGRADE_SLOT];
    // Plain HTTP requests for the path (no upgrade handler involved) fall through to 404.
    if (!slot || c.req.header('upgrade')?.toLowerCase() !== 'websocket') return;
    slot.events = events;
    return new Response(null);
  });

  const onUpgrade = (request: IncomingMessage, socket: Duplex, head: Buffer) => {
    socket.on('error', (error: NodeJS.ErrnoException) => {
      logger.debug({ code: error.code, path: request.url }, 'websocket upgrade socket error');
      socket.destroy();
    });
    const refusal = checkUpgrade(request, { path: options.path, allowedOrigins: options.allowedOrigins });
    if (refusal) {
      refuse(socket, refusal.error, refusal.headers);
      return;
    }
    const admitted = limits.admit(incomingClientIp(request, options.trustProxy, options.edge));
    if ('error' in admitted) {
      refuse(socket, admitted.error, { 'Retry-After': String(admitted.retryAfterSeconds) });
      return;
    }
    socket.once('close', admitted.release);
    if (socket.destroyed) {
      admitted.release();
      return;
    }
    void runApp(request, socket, head).catch((error: unknown) => {
      logger.error({ err: error }, 'websocket upgrade failed');
      refuse(socket, new AppError('internal', 'internal error'));
    });
  };

  const runApp = async (request: IncomingMessage, socket: Duplex, head: Buffer) => {
    const url = new URL(request.url ?? '/', `http://${request.headers.host ?? 'localhost'}`);
    const headers = new Headers();
    for (const [name, value] of Object.entries(request.headers)) {
      if (value !== undefined) headers.set(name, Array.isArray(value) ? value.join(', ') : value);
    }
    const slot: UpgradeSlot = {};
    const env = { incoming: request, outgoing: undefined, [UPGRADE_SLOT]: slot };
    const response = await options.app.request(url, { headers }, env);
    const events = slot.events;
    if (!events) {
      // The app answered instead of upgrading (e.g. a 404 or an error): pass its answer on.
      writeResponse(socket, response.status, Object.fromEntries(response.headers), await response.text());
      return;
    }
    if (socket.destroyed || !socket.writable) {
      socket.destroy();
      return;
    }
    // Synchronous with perMessageDeflate off and no verifyClient: either the callback runs now or
    // ws has already refused and destroyed the socket; nothing waits for a handshake afterwards.
    wss.handleUpgrade(request, socket, head, (ws) => bindEvents(ws, events, url, logger));
  };

  return {
    upgradeWebSocket,
    injectWebSocket(server) {
      server.on('upgrade', onUpgrade);
    },
    wss,
    connections: () => limits.size,
  };
}

function bindEvents(ws: WebSocket, events: WSEvents<WebSocket>, url: URL, logger: Logger): void {
  const context = new WSContext<WebSocket>({
    send: (data, sendOptions) => ws.send(data, { compress: sendOptions.compress ?? false }),
    close: (code, reason) => ws.close(code, reason),
    raw: ws,
    get readyState() {
      return ws.readyState as 0 | 1 | 2 | 3;
    },
    url,
    protocol: ws.protocol,
  });
  const guarded = (name: string, call: () => void) => {
    try {
      call();
    } catch (error) {
      logger.error({ err: error, event: name }, 'websocket event handler failed');
    }
  };
  ws.on('error', (error) => guarded('error', () => events.onError?.(Object.assign(new Event('error'), { error, message: error.message }), context)));
  ws.on('message', (data: RawData, isBinary) => {
    const payload = isBinary ? toArrayBuffer(data) : rawToString(data);
    guarded('message', () => events.onMessage?.(new MessageEvent('message', { data: payload }), context));
  });
  ws.on('close', (code, reason) => {
    const event = Object.assign(new Event('close'), { code, reason: reason.toString('utf8'), wasClean: code !== 1006 }) as CloseEvent;
    guarded('close', () => events.onClose?.(event, context));
  });
  guarded('open', () => events.onOpen?.(new Event('open'), context));
}

function rawToString(data: RawData): string {
  if (Array.isArray(data)) return Buffer.concat(data).toString('utf8');
  return Buffer.from(data as ArrayBuffer).toString('utf8');
}

function toArrayBuffer(data: RawData): ArrayBuffer {
  const buffer = Array.isArray(data) ? Buffer.concat(data) : Buffer.from(data as ArrayBuffer);
  return buffer.buffer.slice(buffer.byteOffset, buffer.byteOffset + buffer.byteLength) as ArrayBuffer;
}

function refuse(socket: Duplex, error: AppError, headers: Record<string, string> = {}): void {
  const body: ErrorBody = error.toBody();
  writeResponse(socket, error.status, { 'content-type': 'application/json; charset=utf-8', ...headers }, JSON.stringify(body));
}

/** Writes a complete HTTP/1.1 response and destroys the socket once it is flushed. */
function writeResponse(socket: Duplex, status: number, headers: Record<string, string>, body: string): void {
  if (socket.destroyed || !socket.writable) {
    socket.destroy();
    return;
  }
  const lines = [`HTTP/1.1 ${status} ${STATUS_CODES[status] ?? ''}`];
  for (const [name, value] of Object.entries(headers)) {
    const lower = name.toLowerCase();
    if (lower !== 'content-length' && lower !== 'connection' && lower !== 'transfer-encoding') lines.push(`${name}: ${value}`);
  }
  lines.push(`Content-Length: ${Buffer.byteLength(body)}`, 'Connection: close', '', '');
  socket.once('finish', () => socket.destroy());
  socket.end(lines.join('\r\n') + body);
}
