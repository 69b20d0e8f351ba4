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

/** Reads a body to its end as UTF-8, failing once it passes `maxBytes` (the reader then stops, which closes the response). */
export async function readText(body: AsyncIterable<Uint8Array>, maxBytes = DEFAULT_MAX_TEXT_BYTES): Promise<string> {
  const chunks: Uint8Array[] = [];
  let size = 0;
  for await (const chunk of body) {
    size += chunk.byteLength;
    if (size > maxBytes) throw new Error(`worker response larger than ${maxBytes} bytes`);
    chunks.push(chunk);
  }
  return Buffer.concat(chunks).toString('utf8');
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
