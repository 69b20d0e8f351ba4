import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo, Socket } from 'node:net';
import type { z } from 'zod';
import {
  APP_VERSION,
  ChatRequestSchema,
  EmbedRequestSchema,
  GenerateRequestSchema,
  NonceCache,
  RetrieveRequestSchema,
  SignatureError,
  ndjsonLine,
  signRequest,
  verifyRequest,
  type Heartbeat,
  type StreamEvent,
  type WorkerHealth,
  type WorkerState,
} from '@review-assistant/shared';

/**
 * How the double misbehaves:
 * - `refuse`: destroys every connection before answering (a reset, like a process that just died);
 * - `connection-refused`: stops listening, so connecting fails with ECONNREFUSED (nothing on the
 *   port); setting another fault listens again on the same port;
 * - `bad-request`, `rate-limited`, `busy`: answers 400 `validation_failed`, 429 `rate_limited` or
 *   503 `worker_busy` (the real worker's full chat queue) before any work;
 * - `slow-first-byte`: waits `firstByteDelayMs` before sending headers and the first event;
 * - `die-mid-stream`: destroys the socket after `dieAfterEvents` events;
 * - `error-event`: streams an `error` event (model_unavailable) instead of an answer;
 * - `http-error`: answers 500 with the JSON error shape;
 * - `hang`: sends the first event, then nothing (idle timeout tests);
 * - `tunnel-offline`: answers what ngrok's edge sends for an endpoint that is offline: 404, an
 *   HTML page and the `ngrok-error-code: ERR_NGROK_3200` header (not the worker's own answer).
 */
export type WorkerFault =
  | 'none'
  | 'refuse'
  | 'connection-refused'
  | 'slow-first-byte'
  | 'die-mid-stream'
  | 'error-event'
  | 'http-error'
  | 'bad-request'
  | 'rate-limited'
  | 'busy'
  | 'hang'
  | 'tunnel-offline';

export interface WorkerDoubleOptions {
  /** Signature secret; unset: requests are accepted unsigned (never in production code). */
  secret?: string;
  workerId?: string;
  /** Pause between answer tokens. @default 0 */
  tokenDelayMs?: number;
  /** The answer, streamed one token (word) at a time. */
  answer?: string;
  /** Picks the chat answer per request (its parsed body); undefined falls back to `answer`. */
  answerFor?: (body: unknown) => string | undefined;
  fault?: WorkerFault;
  /** @default 1000 */
  firstByteDelayMs?: number;
  /** Events sent before the socket is destroyed in `die-mid-stream`. @default 2 */
  dieAfterEvents?: number;
  /** Awaited before sending event `index` (0-based) of a chat stream: lets tests hold the stream. */
  beforeEvent?: (index: number, call: WorkerDoubleCall) => Promise<void> | void;
  backend?: 'ollama' | 'offline';
  capacity?: number;
  /** `status` of `GET /v1/health` (and of heartbeats). @default 'ready' */
  healthStatus?: WorkerState;
}

/** One request the double received. */
export interface WorkerDoubleCall {
  method: string;
  path: string;
  requestId: string | undefined;
  intent: string | undefined;
  signed: boolean;
  body: unknown;
  /** Events written to the response so far. */
  eventsSent: number;
  /** True once the client went away before the response finished. */
  aborted: boolean;
  /** Number of the TCP connection the request came on (1, 2, ...): shows keep-alive reuse. */
  connection: number;
  finished: boolean;
}

export interface WorkerDouble {
  readonly url: string;
  readonly workerId: string;
  readonly calls: WorkerDoubleCall[];
  options: WorkerDoubleOptions;
  /** Changes the fault mode for the following requests. */
  setFault(fault: WorkerFault): void;
  /** Sends a signed heartbeat for this double to a gateway. */
  sendHeartbeat(gatewayUrl: string, overrides?: Partial<Heartbeat>): Promise<Response>;
  /** Resolves when a call satisfying `predicate` is recorded (polls every 5 ms, gives up after `timeoutMs`). */
  waitFor(predicate: (call: WorkerDoubleCall) => boolean, timeoutMs?: number): Promise<WorkerDoubleCall>;
  close(): Promise<void>;
}

const defaultAnswer = 'Casa Olivo gets the warmest reviews for its fresh pasta and friendly staff [r1].';

/**
 * A real HTTP server on 127.0.0.1:0 that speaks the worker protocol (signed requests, NDJSON
 * `/v1/chat`, JSON `/v1/retrieve|embed|generate|health`) with switchable faults. Like the worker it
 * validates request bodies with the shared schemas (400 `invalid_json` / `validation_failed`
 * before any work). It records calls.
 */
export async function startWorkerDouble(initial: WorkerDoubleOptions = {}): Promise<WorkerDouble> {
  const nonceCache = new NonceCache();
  const calls: WorkerDoubleCall[] = [];
  const sockets = new Set<Socket>();
  const connectionNumbers = new WeakMap<Socket, number>();
  let connectionCount = 0;
  const workerId = initial.workerId ?? `double-${Math.random().toString(16).slice(2, 8)}`;
  const double = { options: { ...initial } } as { options: WorkerDoubleOptions };

  const server: Server = createServer((request, response) => {
    void handle(request, response).catch(() => response.destroy());
  });
  server.on('connection', (socket) => {
    sockets.add(socket);
    connectionCount += 1;
    connectionNumbers.set(socket, connectionCount);
    socket.on('close', () => sockets.delete(socket));
  });

  async function handle(request: IncomingMessage, response: ServerResponse): Promise<void> {
    const options = double.options;
    if (options.fault === 'refuse') {
      request.socket.destroy();
      return;
    }
    if (options.fault === 'tunnel-offline') {
      request.resume();
      calls.push({ method: request.method ?? 'GET', path: request.url ?? '/', requestId: undefined, intent: undefined, signed: false, body: undefined, eventsSent: 0, aborted: false, finished: true, connection: 0 });
      response.writeHead(404, { 'content-type': 'text/html', 'ngrok-error-code': 'ERR_NGROK_3200' });
      response.end('<!DOCTYPE html><html><body><p>The endpoint is offline.</p><p>ERR_NGROK_3200</p></body></html>');
      return;
    }
    const chunks: Buffer[] = [];
    for await (const chunk of request) chunks.push(chunk as Buffer);
    const raw = Buffer.concat(chunks);
    const path = request.url ?? '/';
    const call: WorkerDoubleCall = {
      method: request.method ?? 'GET',
      path,
      requestId: header(request, 'x-request-id'),
      intent: header(request, 'x-intent'),
      signed: false,
      body: parseJson(raw),
      eventsSent: 0,
      aborted: false,
      finished: false,
      connection: connectionNumbers.get(request.socket) ?? 0,
    };
    calls.push(call);
    response.on('close', () => {
      if (!response.writableFinished) call.aborted = true;
    });
    response.on('finish', () => {
      call.finished = true;
    });
    if (options.secret) {
      try {
        verifyRequest({ secret: options.secret, method: call.method, path, body: raw, header: (name) => header(request, name), nonceCache });
        call.signed = true;
      } catch (error) {
        if (!(error instanceof SignatureError)) throw error;
        return sendJson(response, 401, { error: { code: 'bad_signature', message: 'missing or invalid request signature' } });
      }
    }
    if (options.fault === 'http-error') {
      return sendJson(response, 500, { error: { code: 'internal', message: 'the double was told to fail' } });
    }
    if (options.fault === 'bad-request') return sendJson(response, 400, { error: { code: 'validation_failed', message: 'the double was told to refuse the request' } });
    if (options.fault === 'rate-limited') return sendJson(response, 429, { error: { code: 'rate_limited', message: 'too many requests; retry shortly' } });
    if (options.fault === 'busy') {
      return sendJson(response, 503, { error: { code: 'worker_busy', message: 'worker is busy: 2 answers running and 8 waiting; retry shortly' } });
    }
    const route = path.split('?')[0];
    if (route === '/v1/health' && call.method === 'GET') return sendJson(response, 200, health(options));
    if (call.method !== 'POST') return sendJson(response, 404, { error: { code: 'not_found', message: `no route ${path}` } });
    const schema = route === undefined ? undefined : requestSchemas[route];
    if (schema !== undefined) {
      let value: unknown;
      try {
        value = JSON.parse(raw.toString('utf8')) as unknown;
      } catch {
        return sendJson(response, 400, { error: { code: 'invalid_json', message: 'request body is not valid JSON' } });
      }
      const parsed = schema.safeParse(value);
      if (!parsed.success) {
        const message = parsed.error.issues.map((issue) => `${issue.path.join('.') || '(body)'}: ${issue.message}`).join('; ');
        return sendJson(response, 400, { error: { code: 'validation_failed', message } });
      }
    }
    if (route === '/v1/chat') return streamChat(call, response, options);
    if (route === '/v1/retrieve') return sendJson(response, 200, { results: [source('r1', 0.91)] });
    if (route === '/v1/embed') return sendJson(response, 200, { model: 'double-embed', dimensions: 3, embeddings: [[0.1, 0.2, 0.3]] });
    if (route === '/v1/generate') {
      return sendJson(response, 200, { model: 'double-chat', backend: options.backend ?? 'offline', text: options.answer ?? defaultAnswer, usage: { promptTokens: 5, completionTokens: 12 } });
    }
    return sendJson(response, 404, { error: { code: 'not_found', message: `no route ${path}` } });
  }

  async function streamChat(call: WorkerDoubleCall, response: ServerResponse, options: WorkerDoubleOptions): Promise<void> {
    if (options.fault === 'slow-first-byte') await sleep(options.firstByteDelayMs ?? 1000);
    if (response.destroyed) return;
    const tokens = (options.answerFor?.(call.body) ?? options.answer ?? defaultAnswer).split(/(?<= )/);
    const events: StreamEvent[] =
      options.fault === 'error-event'
        ? [{ type: 'error', code: 'model_unavailable', message: 'the chat model is not loaded', retryable: true }]
        : [
            { type: 'sources', items: [source('r1', 0.91), source('r2', 0.77)] },
            ...tokens.map((text): StreamEvent => ({ type: 'answer-delta', text })),
            { type: 'answer-end', usage: { promptTokens: 42, completionTokens: tokens.length }, timings: { firstTokenMs: 1 }, backend: options.backend ?? 'offline', model: 'double-chat' },
          ];
    response.writeHead(200, { 'content-type': 'application/x-ndjson', 'cache-control': 'no-store' });
    response.flushHeaders();
    for (const [index, event] of events.entries()) {
      await options.beforeEvent?.(index, call);
      if (index > 0 && event.type === 'answer-delta' && options.tokenDelayMs) await sleep(options.tokenDelayMs);
      if (response.destroyed) return;
      if (options.fault === 'die-mid-stream' && index >= (options.dieAfterEvents ?? 2)) {
        // Let the events already written leave the socket first, as they would from a real process.
        await sleep(50);
        response.socket?.destroy();
        return;
      }
      if (options.fault === 'hang' && index >= 1) return;
      if (!response.write(ndjsonLine(event))) await new Promise((resolve) => response.once('drain', resolve));
      call.eventsSent += 1;
    }
    response.end();
  }

  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const port = (server.address() as AddressInfo).port;
  const url = `http://127.0.0.1:${port}`;
  let listening = true;
  let closed = false;
  const stopListening = () => {
    if (!listening) return;
    listening = false;
    server.close();
    // kept-alive connections would still reach the handler: cut them so new requests must connect
    for (const socket of sockets) socket.destroy();
  };
  const listenAgain = () => {
    if (listening || closed) return;
    listening = true;
    server.listen(port, '127.0.0.1');
  };
  if (initial.fault === 'connection-refused') stopListening();

  return Object.assign(double, {
    url,
    workerId,
    calls,
    setFault(fault: WorkerFault) {
      double.options.fault = fault;
      if (fault === 'connection-refused') stopListening();
      else listenAgain();
    },
    async sendHeartbeat(gatewayUrl: string, overrides: Partial<Heartbeat> = {}) {
      const heartbeat: Heartbeat = {
        workerId,
        url,
        backend: double.options.backend ?? 'offline',
        state: double.options.healthStatus ?? 'ready',
        models: [{ name: 'double-chat', role: 'chat', state: 'builtin' }],
        queueDepth: 0,
        active: 0,
        capacity: double.options.capacity ?? 4,
        version: APP_VERSION,
        intervalSeconds: 5,
        ...overrides,
      };
      const body = JSON.stringify(heartbeat);
      const path = '/internal/workers/heartbeat';
      const signature = double.options.secret ? signRequest({ secret: double.options.secret, method: 'POST', path, body }) : {};
      return fetch(`${gatewayUrl}${path}`, { method: 'POST', body, headers: { 'content-type': 'application/json', ...signature } });
    },
    async waitFor(predicate: (call: WorkerDoubleCall) => boolean, timeoutMs = 5000) {
      const deadline = Date.now() + timeoutMs;
      for (;;) {
        const found = calls.find(predicate);
        if (found) return found;
        if (Date.now() > deadline) throw new Error('worker double: expected call did not happen');
        await sleep(5);
      }
    },
    async close() {
      closed = true;
      for (const socket of sockets) socket.destroy();
      if (!listening) return;
      listening = false;
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  });
}

/** The schemas the real worker's routes validate with. */
const requestSchemas: Record<string, z.ZodType | undefined> = {
  '/v1/chat': ChatRequestSchema,
  '/v1/retrieve': RetrieveRequestSchema,
  '/v1/embed': EmbedRequestSchema,
  '/v1/generate': GenerateRequestSchema,
};

function health(options: WorkerDoubleOptions): WorkerHealth {
  return {
    status: options.healthStatus ?? 'ready',
    version: APP_VERSION,
    workerId: options.workerId ?? 'double',
    backend: options.backend ?? 'offline',
    backendReason: 'worker double',
    models: [{ name: 'double-chat', role: 'chat', state: 'builtin' }],
    chroma: { ok: true, url: null, detail: null },
    collections: { reviews: 2 },
    queue: { active: 0, waiting: 0, capacity: options.capacity ?? 4, maxQueue: 16 },
    uptimeSeconds: 1,
  };
}

function source(id: string, score: number) {
  return {
    id,
    score,
    text: id === 'r1' ? 'The pasta was fresh and the staff were lovely.' : 'Slow service but a great tiramisu.',
    metadata: { source: 'double.csv', row: id === 'r1' ? 0 : 1, restaurant: 'Casa Olivo', rating: id === 'r1' ? 5 : 3, date: '2024-05-01' },
  };
}

function header(request: IncomingMessage, name: string): string | undefined {
  const value = request.headers[name];
  return Array.isArray(value) ? value[0] : value;
}

function parseJson(raw: Buffer): unknown {
  if (raw.length === 0) return undefined;
  try {
    return JSON.parse(raw.toString('utf8')) as unknown;
  } catch {
    return raw.toString('utf8');
  }
}

function sendJson(response: ServerResponse, status: number, body: unknown): void {
  response.writeHead(status, { 'content-type': 'application/json' });
  response.end(JSON.stringify(body));
}

function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}
