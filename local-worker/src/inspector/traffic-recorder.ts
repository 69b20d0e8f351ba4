import type { MiddlewareHandler } from 'hono';
import { signatureVerified } from '@review-assistant/shared/edge';

/** One request through the worker, as the inspector shows it (secrets already redacted). */
export interface InspectedRequest {
  id: number;
  /** ISO time the request arrived. */
  time: string;
  method: string;
  /** Path with query string. */
  path: string;
  /** null while the response headers are not out yet. */
  status: number | null;
  /** Until the last response byte; null while streaming. */
  durationMs: number | null;
  /** Until the first response body byte; null when there was no body. */
  ttfbMs: number | null;
  bytesIn: number;
  bytesOut: number;
  requestId: string | null;
  requestHeaders: Record<string, string>;
  requestBody: string;
  requestBodyTruncated: boolean;
  responseHeaders: Record<string, string>;
  responseBody: string;
  responseBodyTruncated: boolean;
  /** Set when this request was sent by the inspector's replay action. */
  replayOf: number | null;
  /** False while the response is still streaming. */
  complete: boolean;
}

/** What the replay action needs: the original bytes, kept in memory only, never shown. */
export interface ReplayableRequest {
  method: string;
  path: string;
  contentType: string | null;
  /** null when the body was never read (rejected before it) or was too large to keep. */
  body: Uint8Array | null;
  /**
   * Whether the original passed the worker's signature check. Replay signs what it sends, so
   * replaying a request that failed the check would sign a stranger's request for them.
   */
  signatureVerified: boolean;
}

export interface TrafficRecorderOptions {
  /** Requests kept (oldest dropped first). @default 200 */
  capacity?: number;
  /** Body characters shown per request/response. @default 16384 */
  maxBodyChars?: number;
  /** Request bytes kept for replay. @default 1 MiB */
  maxReplayBytes?: number;
  /** Values that must never appear (shared secret, ngrok token, admin token). Empty values are ignored. */
  secrets?: (string | undefined)[];
}

/** Header values replaced before display: signatures, credentials, cookies. */
const SENSITIVE_HEADERS = new Set(['x-signature', 'authorization', 'proxy-authorization', 'cookie', 'set-cookie', 'x-api-key', 'ngrok-authtoken']);
const REDACTED = '[redacted]';
/** Marks requests sent by the replay action (value: id of the original). */
export const REPLAY_HEADER = 'x-inspector-replay-of';

/**
 * Bounded ring buffer of recent requests plus the Hono middleware that fills it. The middleware
 * never reads the request body itself (the signature middleware does, with a size cap); it picks
 * the bytes up from Hono's body cache afterwards, and it wraps the response stream to count bytes
 * and time the first byte without buffering NDJSON streams.
 */
export class TrafficRecorder {
  private readonly entries: InspectedRequest[] = [];
  private readonly replayable = new Map<number, ReplayableRequest>();
  private nextId = 1;
  private readonly capacity: number;
  private readonly maxBodyChars: number;
  private readonly maxReplayBytes: number;
  private readonly secrets: string[];

  constructor(options: TrafficRecorderOptions = {}) {
    this.capacity = options.capacity ?? 200;
    this.maxBodyChars = options.maxBodyChars ?? 16_384;
    this.maxReplayBytes = options.maxReplayBytes ?? 1024 * 1024;
    // Longest first, so a secret that contains another is replaced whole.
    this.secrets = (options.secrets ?? []).filter((value): value is string => typeof value === 'string' && value.length >= 4).sort((a, b) => b.length - a.length);
  }

  /** Newest first. */
  list(): InspectedRequest[] {
    return [...this.entries].reverse().map((entry) => ({ ...entry }));
  }

  get(id: number): InspectedRequest | undefined {
    const entry = this.entries.find((candidate) => candidate.id === id);
    return entry ? { ...entry } : undefined;
  }

  replayData(id: number): ReplayableRequest | undefined {
    return this.replayable.get(id);
  }

  redact(text: string): string {
    let result = text;
    for (const secret of this.secrets) result = result.split(secret).join(REDACTED);
    return result;
  }

  private redactHeaders(headers: Headers): Record<string, string> {
    const result: Record<string, string> = {};
    headers.forEach((value, name) => {
      result[name] = SENSITIVE_HEADERS.has(name.toLowerCase()) ? REDACTED : this.redact(value);
    });
    return result;
  }

  private bodyText(bytes: Uint8Array, totalBytes: number): { text: string; truncated: boolean } {
    const decoded = new TextDecoder('utf-8', { fatal: false }).decode(bytes);
    const text = this.redact(decoded);
    const truncated = totalBytes > bytes.byteLength || text.length > this.maxBodyChars;
    return { text: text.slice(0, this.maxBodyChars), truncated };
  }

  private add(entry: InspectedRequest, replay: ReplayableRequest): void {
    this.entries.push(entry);
    this.replayable.set(entry.id, replay);
    while (this.entries.length > this.capacity) {
      const dropped = this.entries.shift();
      if (dropped) this.replayable.delete(dropped.id);
    }
  }

  /** The Hono middleware; mount it first so it sees every request, including rejected ones. */
  middleware(): MiddlewareHandler {
    return async (c, next) => {
      const started = performance.now();
      const url = new URL(c.req.url);
      const replayOf = Number(c.req.header(REPLAY_HEADER));
      const entry: InspectedRequest = {
        id: this.nextId++,
        time: new Date().toISOString(),
        method: c.req.method,
        path: this.redact(url.pathname + url.search),
        status: null,
        durationMs: null,
        ttfbMs: null,
        bytesIn: Number(c.req.header('content-length') ?? 0) || 0,
        bytesOut: 0,
        requestId: c.req.header('x-request-id') ?? null,
        requestHeaders: this.redactHeaders(c.req.raw.headers),
        requestBody: '',
        requestBodyTruncated: false,
        responseHeaders: {},
        responseBody: '',
        responseBodyTruncated: false,
        replayOf: Number.isInteger(replayOf) && replayOf > 0 ? replayOf : null,
        complete: false,
      };
      const replay: ReplayableRequest = { method: c.req.method, path: url.pathname + url.search, contentType: c.req.header('content-type') ?? null, body: null, signatureVerified: false };
      this.add(entry, replay);
      try {
        await next();
      } finally {
        replay.signatureVerified = signatureVerified(c);
        await this.captureRequestBody(c.req.bodyCache.arrayBuffer, entry, replay);
      }
      const response = c.res;
      entry.status = response.status;
      // The app may set its request id header after this middleware returns; its context variable is set already.
      const contextId = (c.var as unknown as Record<string, unknown>)['requestId'];
      entry.requestId = response.headers.get('x-request-id') ?? (typeof contextId === 'string' ? contextId : entry.requestId);
      entry.responseHeaders = this.redactHeaders(response.headers);
      if (!response.body) {
        entry.durationMs = performance.now() - started;
        entry.complete = true;
        return;
      }
      const captured: Uint8Array[] = [];
      let capturedBytes = 0;
      const limitBytes = this.maxBodyChars * 4;
      const finish = () => {
        if (entry.complete) return;
        const bytes = new Uint8Array(capturedBytes);
        let offset = 0;
        for (const chunk of captured) {
          bytes.set(chunk, offset);
          offset += chunk.byteLength;
        }
        const body = this.bodyText(bytes, entry.bytesOut);
        entry.responseBody = body.text;
        entry.responseBodyTruncated = body.truncated;
        entry.durationMs = performance.now() - started;
        entry.complete = true;
      };
      // `cancel` (client went away mid-stream) is honoured by runtimes that implement it.
      const transformer: Transformer<Uint8Array, Uint8Array> & { cancel?: () => void } = {
        transform: (chunk, controller) => {
          if (entry.ttfbMs === null) entry.ttfbMs = performance.now() - started;
          entry.bytesOut += chunk.byteLength;
          if (capturedBytes < limitBytes) {
            const slice = chunk.subarray(0, limitBytes - capturedBytes);
            captured.push(slice.slice());
            capturedBytes += slice.byteLength;
          }
          controller.enqueue(chunk);
        },
        flush: finish,
        cancel: finish,
      };
      const counter = new TransformStream<Uint8Array, Uint8Array>(transformer);
      c.res = new Response(response.body.pipeThrough(counter), response);
    };
  }

  private async captureRequestBody(cached: Promise<ArrayBuffer> | ArrayBuffer | undefined, entry: InspectedRequest, replay: ReplayableRequest): Promise<void> {
    if (!cached) {
      entry.requestBody = entry.bytesIn > 0 ? '(body not read: the request was rejected before it)' : '';
      return;
    }
    const bytes = new Uint8Array(await Promise.resolve(cached).catch(() => new ArrayBuffer(0)));
    entry.bytesIn = bytes.byteLength;
    const body = this.bodyText(bytes.subarray(0, this.maxBodyChars * 4), bytes.byteLength);
    entry.requestBody = body.text;
    entry.requestBodyTruncated = body.truncated;
    if (bytes.byteLength <= this.maxReplayBytes) replay.body = bytes;
  }
}
