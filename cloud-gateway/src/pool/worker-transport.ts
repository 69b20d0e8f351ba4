import { Agent as HttpAgent, request as httpRequest, type IncomingMessage } from 'node:http';
import { Agent as HttpsAgent, request as httpsRequest } from 'node:https';

/** What the pool needs back from one HTTP request to a worker. */
export interface WorkerResponse {
  status: number;
  /** A response header (lower-case name), undefined when absent. */
  header(name: string): string | undefined;
  /** The body as it arrives, chunk by chunk (read it once: either this or `text()`). */
  body: AsyncIterable<Uint8Array>;
  /** Reads the whole body as UTF-8, up to `maxBytes` (default 8 MiB). */
  text(maxBytes?: number): Promise<string>;
}

export interface WorkerRequest {
  method: 'GET' | 'POST';
  headers: Record<string, string>;
  body?: string | undefined;
  /** Aborting cancels the request, or the response body once it is streaming. */
  signal: AbortSignal;
}

/** Sends one request to a worker. The pool signs requests before they reach the transport. */
export type WorkerTransport = (url: string, request: WorkerRequest) => Promise<WorkerResponse>;

const DEFAULT_MAX_TEXT_BYTES = 8 * 1024 * 1024;

async function readText(body: AsyncIterable<Uint8Array>, maxBytes: number): Promise<string> {
  const chunks: Uint8Array[] = [];
  let size = 0;
  for await (const chunk of body) {
    size += chunk.byteLength;
    if (size > maxBytes) throw new Error(`worker response larger than ${maxBytes} bytes`);
    chunks.push(chunk);
  }
  return Buffer.concat(chunks).toString('utf8');
}

export interface NodeHttpTransportOptions {
  /** Certificate authorities trusted for `https:` workers instead of Node's bundled list (tests with a self-signed edge). @default Node's CAs */
  ca?: string | Buffer;
}

/**
 * The default transport: `node:http`/`node:https` with keep-alive agents. Node streams cost about
 * half the CPU per streamed chat turn of `fetch`'s web streams (measured on this project's
 * benchmark machine), and the gateway relays every token twice.
 */
export function createNodeHttpTransport(options: NodeHttpTransportOptions = {}): WorkerTransport {
  const agents = {
    'http:': new HttpAgent({ keepAlive: true }),
    'https:': new HttpsAgent({ keepAlive: true, ...(options.ca === undefined ? {} : { ca: options.ca }) }),
  };
  return (url, request) => {
    const target = new URL(url);
    const secure = target.protocol === 'https:';
    const send = secure ? httpsRequest : httpRequest;
    const headers: Record<string, string | number> = { ...request.headers };
    if (request.body !== undefined) headers['content-length'] = Buffer.byteLength(request.body);
    return new Promise<WorkerResponse>((resolve, reject) => {
      if (request.signal.aborted) {
        reject(request.signal.reason);
        return;
      }
      let incoming: IncomingMessage | undefined;
      // Destroy without an error object: pending reads then fail with a premature-close error and
      // the pool reports its own abort reason; nothing is left to surface as an unhandled error.
      const onAbort = () => {
        outgoing.destroy();
        incoming?.destroy();
        reject(request.signal.reason);
      };
      const outgoing = send(target, { method: request.method, headers, agent: secure ? agents['https:'] : agents['http:'] }, (response) => {
        incoming = response;
        response.on('error', () => undefined);
        response.once('close', () => request.signal.removeEventListener('abort', onAbort));
        resolve({
          status: response.statusCode ?? 0,
          header: (name) => {
            const value = response.headers[name];
            return Array.isArray(value) ? value[0] : value;
          },
          body: response,
          text: (maxBytes = DEFAULT_MAX_TEXT_BYTES) => readText(response, maxBytes),
        });
      });
      request.signal.addEventListener('abort', onAbort, { once: true });
      outgoing.on('error', (error) => {
        request.signal.removeEventListener('abort', onAbort);
        reject(error);
      });
      outgoing.end(request.body);
    });
  };
}

/** A transport over any `fetch` (tests, or runtimes without `node:http`). */
export function createFetchTransport(fetchImpl: typeof fetch): WorkerTransport {
  return async (url, request) => {
    const response = await fetchImpl(url, {
      method: request.method,
      headers: request.headers,
      signal: request.signal,
      ...(request.body === undefined ? {} : { body: request.body }),
    });
    const body = (response.body as unknown as AsyncIterable<Uint8Array> | null) ?? (async function* () {})();
    return { status: response.status, header: (name) => response.headers.get(name) ?? undefined, body, text: (maxBytes = DEFAULT_MAX_TEXT_BYTES) => readText(body, maxBytes) };
  };
}
