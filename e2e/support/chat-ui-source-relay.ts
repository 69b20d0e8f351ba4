import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo, Socket } from 'node:net';
import { Readable } from 'node:stream';

/** Changes a worker `sources` event on its way through (e.g. puts hostile text into a review). */
export type SourcesRewriter = (items: Array<Record<string, unknown>>) => Array<Record<string, unknown>>;

export interface SourceRelay {
  readonly url: string;
  close(): Promise<void>;
}

/**
 * An HTTP relay in front of a worker (double) that rewrites the `sources` events of `/v1/chat`
 * NDJSON streams and passes everything else through byte for byte, including the gateway's
 * signature headers, which cover method, path and request body only. It lets a browser test
 * deliver arbitrary review text through the real gateway without a special worker.
 */
export async function startSourceRelay(targetUrl: string, rewrite: SourcesRewriter): Promise<SourceRelay> {
  const sockets = new Set<Socket>();
  const server: Server = createServer((request, response) => {
    void relay(request, response).catch(() => response.destroy());
  });
  server.on('connection', (socket) => {
    sockets.add(socket);
    socket.on('close', () => sockets.delete(socket));
  });

  async function relay(request: IncomingMessage, response: ServerResponse): Promise<void> {
    const chunks: Buffer[] = [];
    for await (const chunk of request) chunks.push(chunk as Buffer);
    const headers = new Headers();
    for (const [name, value] of Object.entries(request.headers)) {
      if (value === undefined || ['host', 'connection', 'content-length', 'transfer-encoding'].includes(name)) continue;
      headers.set(name, Array.isArray(value) ? value.join(', ') : value);
    }
    const abort = new AbortController();
    response.on('close', () => abort.abort());
    const method = request.method ?? 'GET';
    const upstream = await fetch(`${targetUrl}${request.url ?? '/'}`, {
      method,
      headers,
      signal: abort.signal,
      ...(method === 'GET' || method === 'HEAD' ? {} : { body: Buffer.concat(chunks) }),
    });
    const responseHeaders: Record<string, string> = {};
    upstream.headers.forEach((value, name) => {
      if (name !== 'content-length' && name !== 'content-encoding' && name !== 'transfer-encoding') responseHeaders[name] = value;
    });
    response.writeHead(upstream.status, responseHeaders);
    response.flushHeaders();
    if (!upstream.body) {
      response.end();
      return;
    }
    const isStream = (upstream.headers.get('content-type') ?? '').includes('ndjson');
    let pending = '';
    for await (const chunk of Readable.fromWeb(upstream.body as import('node:stream/web').ReadableStream<Uint8Array>)) {
      if (!isStream) {
        response.write(chunk);
        continue;
      }
      pending += Buffer.from(chunk as Uint8Array).toString('utf8');
      let newline = pending.indexOf('\n');
      while (newline !== -1) {
        response.write(`${rewriteLine(pending.slice(0, newline), rewrite)}\n`);
        pending = pending.slice(newline + 1);
        newline = pending.indexOf('\n');
      }
    }
    if (pending !== '') response.write(rewriteLine(pending, rewrite));
    response.end();
  }

  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    async close() {
      for (const socket of sockets) socket.destroy();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}

function rewriteLine(line: string, rewrite: SourcesRewriter): string {
  try {
    const event = JSON.parse(line) as { type?: unknown; items?: unknown };
    if (event.type === 'sources' && Array.isArray(event.items)) {
      return JSON.stringify({ ...event, items: rewrite(event.items as Array<Record<string, unknown>>) });
    }
  } catch {
    // not JSON: pass it on untouched
  }
  return line;
}
