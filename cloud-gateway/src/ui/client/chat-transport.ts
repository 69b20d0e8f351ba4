import type { ChatRequest, StreamEvent } from '@review-assistant/shared';
import { ServerSentEventParser } from './sse-parser.js';
import { isTerminal, readStreamEvent } from './stream-event.js';

export type TransportKind = 'websocket' | 'sse';

/** Raised when the connection to the gateway breaks before a turn ended. */
export class TransportError extends Error {
  override readonly name = 'TransportError';
}

export interface TurnOptions {
  turnId: string;
  request: ChatRequest;
  onEvent: (event: StreamEvent) => void;
  /** Called when the request goes out, with the transport carrying it. */
  onTransport?: (kind: TransportKind) => void;
  /** Aborting stops the turn: a `cancel` message on the WebSocket, an aborted fetch for SSE. */
  signal: AbortSignal;
}

export interface ChatTransportOptions {
  /** @default `ws(s)://<page host>/ws/chat` */
  webSocketUrl?: string;
  /** @default `/api/chat` */
  sseUrl?: string;
  /** How long to wait for the WebSocket to open before falling back to SSE. @default 4000 */
  openTimeoutMs?: number;
  /** After a failed WebSocket, how long to use SSE before trying the socket again. @default 60000 */
  webSocketRetryMs?: number;
}

interface ActiveTurn {
  turnId: string;
  onEvent: (event: StreamEvent) => void;
  resolve: () => void;
  reject: (error: Error) => void;
}

/**
 * Runs chat turns over `WS /ws/chat` and falls back to `POST /api/chat` (SSE read with fetch) when
 * the socket cannot be opened. One turn at a time, like the gateway's socket protocol.
 */
export class ChatTransport {
  private socket: WebSocket | undefined;
  private opening: Promise<WebSocket> | undefined;
  private active: ActiveTurn | undefined;
  private webSocketBlockedUntil = 0;
  private readonly webSocketUrl: string;
  private readonly sseUrl: string;
  private readonly openTimeoutMs: number;
  private readonly webSocketRetryMs: number;

  constructor(options: ChatTransportOptions = {}) {
    const scheme = location.protocol === 'https:' ? 'wss:' : 'ws:';
    this.webSocketUrl = options.webSocketUrl ?? `${scheme}//${location.host}/ws/chat`;
    this.sseUrl = options.sseUrl ?? '/api/chat';
    this.openTimeoutMs = options.openTimeoutMs ?? 4000;
    this.webSocketRetryMs = options.webSocketRetryMs ?? 60_000;
  }

  /** Runs one turn; resolves with the transport used once the turn ended or was stopped. */
  async run(options: TurnOptions): Promise<TransportKind> {
    if (Date.now() >= this.webSocketBlockedUntil) {
      let socket: WebSocket | undefined;
      try {
        socket = await this.connect();
      } catch {
        this.webSocketBlockedUntil = Date.now() + this.webSocketRetryMs;
      }
      if (socket) {
        let received = false;
        try {
          await this.runOnSocket(socket, {
            ...options,
            onEvent: (event) => {
              received = true;
              options.onEvent(event);
            },
          });
          return 'websocket';
        } catch (error) {
          // A socket that opens and then dies before the turn's first event (a proxy that accepts
          // the upgrade but not the traffic) is as good as no socket: answer this turn over SSE.
          if (received || options.signal.aborted) throw error;
          this.webSocketBlockedUntil = Date.now() + this.webSocketRetryMs;
        }
      }
    }
    await this.runOnSse(options);
    return 'sse';
  }

  /** Closes the socket (used by "New chat" and page unload). */
  close(): void {
    this.socket?.close(1000, 'client closed');
    this.socket = undefined;
  }

  private connect(): Promise<WebSocket> {
    if (this.socket && this.socket.readyState === WebSocket.OPEN) return Promise.resolve(this.socket);
    if (this.opening) return this.opening;
    this.opening = new Promise<WebSocket>((resolve, reject) => {
      let settled = false;
      const socket = new WebSocket(this.webSocketUrl);
      const timer = setTimeout(() => fail(new TransportError('WebSocket did not open in time')), this.openTimeoutMs);
      const fail = (error: Error): void => {
        if (settled) return;
        settled = true;
        clearTimeout(timer);
        socket.close();
        reject(error);
      };
      socket.addEventListener('open', () => {
        if (settled) return;
        settled = true;
        clearTimeout(timer);
        this.socket = socket;
        resolve(socket);
      });
      socket.addEventListener('error', () => fail(new TransportError('WebSocket failed to open')));
      socket.addEventListener('close', () => {
        fail(new TransportError('WebSocket closed before it opened'));
        if (this.socket === socket) this.socket = undefined;
        this.active?.reject(new TransportError('The connection to the gateway was lost.'));
        this.active = undefined;
      });
      socket.addEventListener('message', (message) => this.onSocketMessage(message));
    }).finally(() => {
      this.opening = undefined;
    });
    return this.opening;
  }

  private onSocketMessage(message: MessageEvent): void {
    const turn = this.active;
    if (!turn || typeof message.data !== 'string') return;
    let parsed: unknown;
    try {
      parsed = JSON.parse(message.data);
    } catch {
      return;
    }
    if (typeof parsed !== 'object' || parsed === null) return;
    const envelope = parsed as { turnId?: unknown; event?: unknown };
    // events for an earlier (stopped) turn are ignored; turnless events (e.g. a rejected message) belong to the current one
    if (envelope.turnId !== null && envelope.turnId !== undefined && envelope.turnId !== turn.turnId) return;
    const event = readStreamEvent(envelope.event);
    if (!event) return;
    turn.onEvent(event);
    if (isTerminal(event)) {
      this.active = undefined;
      turn.resolve();
    }
  }

  private runOnSocket(socket: WebSocket, options: TurnOptions): Promise<void> {
    return new Promise<void>((resolve, reject) => {
      if (options.signal.aborted) {
        resolve();
        return;
      }
      const onAbort = (): void => {
        if (this.active?.turnId === options.turnId) this.active = undefined;
        if (socket.readyState === WebSocket.OPEN) socket.send(JSON.stringify({ type: 'cancel', turnId: options.turnId }));
        // The gateway runs one turn per socket and frees it only once the cancelled turn has
        // unwound; a fresh socket for the next question never races that clean-up.
        if (this.socket === socket) this.socket = undefined;
        socket.close(1000, 'turn cancelled');
        resolve();
      };
      options.signal.addEventListener('abort', onAbort, { once: true });
      this.active = {
        turnId: options.turnId,
        onEvent: options.onEvent,
        resolve: () => {
          options.signal.removeEventListener('abort', onAbort);
          resolve();
        },
        reject: (error) => {
          options.signal.removeEventListener('abort', onAbort);
          reject(error);
        },
      };
      socket.send(JSON.stringify({ type: 'chat', turnId: options.turnId, request: options.request }));
      options.onTransport?.('websocket');
    });
  }

  private async runOnSse(options: TurnOptions): Promise<void> {
    let response: Response;
    options.onTransport?.('sse');
    try {
      response = await fetch(this.sseUrl, {
        method: 'POST',
        headers: { 'content-type': 'application/json', accept: 'text/event-stream' },
        body: JSON.stringify(options.request),
        signal: options.signal,
      });
    } catch (error) {
      if (options.signal.aborted) return;
      throw new TransportError(`The gateway could not be reached (${String(error)}).`);
    }
    if (!response.ok || !response.body) {
      options.onEvent(await errorFromResponse(response));
      return;
    }
    const reader = response.body.pipeThrough(new TextDecoderStream()).getReader();
    const parser = new ServerSentEventParser();
    try {
      for (;;) {
        const { done, value } = await reader.read();
        const messages = done ? parser.end() : parser.push(value);
        for (const message of messages) {
          let parsed: unknown;
          try {
            parsed = JSON.parse(message.data);
          } catch {
            continue;
          }
          // SSE frames carry bare events (sse-writer.ts); the `{turnId, event}` envelope is WebSocket-only
          const event = readStreamEvent(parsed);
          if (!event) continue;
          options.onEvent(event);
          if (isTerminal(event)) {
            await reader.cancel().catch(() => undefined);
            return;
          }
        }
        if (done) break;
      }
    } catch (error) {
      if (options.signal.aborted) return;
      throw new TransportError(`The answer stream broke off (${String(error)}).`);
    }
    if (!options.signal.aborted) throw new TransportError('The answer stream ended before the answer was complete.');
  }
}

async function errorFromResponse(response: Response): Promise<StreamEvent> {
  let code = 'internal';
  let message = `The gateway answered ${response.status} ${response.statusText}.`;
  try {
    const body: unknown = await response.json();
    const error = typeof body === 'object' && body !== null ? (body as { error?: unknown }).error : undefined;
    if (typeof error === 'object' && error !== null) {
      const fields = error as { code?: unknown; message?: unknown };
      if (typeof fields.code === 'string') code = fields.code;
      if (typeof fields.message === 'string') message = fields.message;
    }
  } catch {
    // not JSON: keep the status line
  }
  const retryAfter = response.headers.get('retry-after');
  if (retryAfter) message += ` Try again in ${retryAfter} s.`;
  return { type: 'error', code, message, retryable: response.status >= 500 || response.status === 429 };
}
