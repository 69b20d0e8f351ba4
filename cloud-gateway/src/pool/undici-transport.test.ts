import { getEventListeners } from 'node:events';
import { createServer as createHttpServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import { createServer as createHttpsServer } from 'node:https';
import type { AddressInfo, Socket } from 'node:net';
import { afterEach, beforeAll, describe, expect, it } from 'vitest';
import { createTestCertificate, type TestCertificate } from '../testing/test-certificate.js';
import { createUndiciTransport } from './undici-transport.js';
import type { WorkerResponse } from './worker-transport.js';

type Handler = (request: IncomingMessage, response: ServerResponse) => void;

/** A real local HTTP(S) server whose connections the tests can watch. */
interface TestServer {
  url: string;
  /** Every connection the server accepted, in order. */
  sockets: Socket[];
  /** Connections the server saw closed. */
  closed: Set<Socket>;
  close(): Promise<void>;
}

const servers: TestServer[] = [];

async function serve(handler: Handler, tls?: TestCertificate): Promise<TestServer> {
  const server: Server = tls ? createHttpsServer({ key: tls.key, cert: tls.cert }, handler) : createHttpServer(handler);
  const sockets: Socket[] = [];
  const closed = new Set<Socket>();
  server.on(tls ? 'secureConnection' : 'connection', (socket: Socket) => {
    sockets.push(socket);
    socket.once('close', () => closed.add(socket));
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  const started: TestServer = {
    url: `${tls ? 'https' : 'http'}://127.0.0.1:${port}`,
    sockets,
    closed,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
  servers.push(started);
  return started;
}

afterEach(async () => {
  await Promise.all(servers.splice(0).map((server) => server.close()));
});

async function until(condition: () => boolean, what: string, timeoutMs = 5000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!condition()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 5));
  }
}

/**
 * True when every connection the server saw is closed except the newest `open` ones. (After an
 * abort mid-response undici 7 opens one spare connection and closes it again at once, undici
 * issue #5845; what matters is that nothing stays open.)
 */
function allClosedBut(server: TestServer, open = 0): boolean {
  return server.sockets.length > open && server.sockets.slice(0, server.sockets.length - open).every((socket) => server.closed.has(socket));
}

function abortListeners(signal: AbortSignal): number {
  return getEventListeners(signal, 'abort').length;
}

const get = (signal = new AbortController().signal) => ({ method: 'GET' as const, headers: { 'x-request-id': 'r1' }, signal });

/** A server answering each request with `body` (JSON-ish text) and keeping the connection alive. */
const answer =
  (body: string): Handler =>
  (_request, response) => {
    response.writeHead(200, { 'content-type': 'application/x-ndjson' });
    response.end(body);
  };

/** A server that sends the headers and a first chunk, then holds the response open. */
const holdAfterFirstChunk: Handler = (_request, response) => {
  response.writeHead(200, { 'content-type': 'application/x-ndjson' });
  response.write('{"type":"sources"}\n');
};

describe('createUndiciTransport', () => {
  it('sends method, headers and body, and reuses one keep-alive connection for sequential requests', async () => {
    const seen: { method: string | undefined; requestId: string; body: string }[] = [];
    const server = await serve((request, response) => {
      let body = '';
      request.setEncoding('utf8');
      request.on('data', (chunk: string) => (body += chunk));
      request.on('end', () => {
        seen.push({ method: request.method, requestId: request.headers['x-request-id'] as string, body });
        response.writeHead(200, { 'content-type': 'application/json', 'x-worker': 'w1' });
        response.end(`{"n":${seen.length}}`);
      });
    });
    const transport = createUndiciTransport();
    const signal = new AbortController().signal;
    for (const n of [1, 2, 3]) {
      const response = await transport(`${server.url}/v1/chat?x=1`, { method: 'POST', headers: { 'x-request-id': `r${n}` }, body: `{"m":${n}}`, signal });
      expect(response.status).toBe(200);
      expect(response.header('x-worker')).toBe('w1');
      expect(await response.text()).toBe(`{"n":${n}}`);
    }
    expect(seen).toEqual([1, 2, 3].map((n) => ({ method: 'POST', requestId: `r${n}`, body: `{"m":${n}}` })));
    expect(server.sockets).toHaveLength(1);
    expect(abortListeners(signal)).toBe(0);
  });

  it('leaves no listener on the signal after a success, a refused connection and an abort', async () => {
    const server = await serve(answer('ok'));
    const transport = createUndiciTransport();

    const succeeded = new AbortController();
    await (await transport(server.url, get(succeeded.signal))).text();
    expect(abortListeners(succeeded.signal)).toBe(0);

    const refusedServer = await serve(answer('never'));
    await refusedServer.close();
    const refused = new AbortController();
    await expect(transport(refusedServer.url, get(refused.signal))).rejects.toMatchObject({ code: 'ECONNREFUSED' });
    expect(abortListeners(refused.signal)).toBe(0);

    const holding = await serve(holdAfterFirstChunk);
    const aborted = new AbortController();
    const response = await transport(holding.url, get(aborted.signal));
    const reason = new Error('pool gave up');
    aborted.abort(reason);
    await expect(response.text()).rejects.toBe(reason);
    expect(abortListeners(aborted.signal)).toBe(0);
  });

  it('an abort mid-body fails the read with the pool\'s reason, closes the connection, and the next request succeeds', async () => {
    const server = await serve((request, response) => (request.url === '/hold' ? holdAfterFirstChunk(request, response) : answer('next')(request, response)));
    const transport = createUndiciTransport();
    const controller = new AbortController();
    const response = await transport(`${server.url}/hold`, get(controller.signal));
    const body = response.body[Symbol.asyncIterator]();
    expect(Buffer.from((await body.next()).value as Uint8Array).toString()).toBe('{"type":"sources"}\n');
    const pending = body.next();
    const reason = new Error('client left');
    controller.abort(reason);
    await expect(pending).rejects.toBe(reason);
    await until(() => allClosedBut(server), 'the server to see the connection closed');

    expect(await (await transport(`${server.url}/next`, get())).text()).toBe('next');
    await until(() => allClosedBut(server, 1), 'every connection but the one in use to be closed');
  });

  it('an abort while waiting for the headers rejects with the pool\'s reason and closes the connection', async () => {
    const server = await serve(() => undefined);
    const transport = createUndiciTransport();
    const controller = new AbortController();
    const sent = transport(server.url, get(controller.signal));
    await until(() => server.sockets.length === 1, 'the request to arrive');
    const reason = new Error('connect deadline');
    controller.abort(reason);
    await expect(sent).rejects.toBe(reason);
    await until(() => allClosedBut(server), 'the server to see the connection closed');
    expect(abortListeners(controller.signal)).toBe(0);
  });

  it('an abort before the connection is up rejects at once, and the connection opened meanwhile is closed', async () => {
    let requests = 0;
    const server = await serve((request, response) => {
      requests += 1;
      answer('late')(request, response);
    });
    const transport = createUndiciTransport();
    const controller = new AbortController();
    const sent = transport(server.url, get(controller.signal));
    const reason = new Error('client left early');
    controller.abort(reason); // same tick: the TCP connection is still being set up
    await expect(sent).rejects.toBe(reason);
    expect(abortListeners(controller.signal)).toBe(0);
    await until(() => allClosedBut(server), 'the connection opened meanwhile to be closed');
    expect(requests).toBe(0); // closed before the request was written

    const opened = server.sockets.length;
    const already = new AbortController();
    already.abort(reason);
    await expect(transport(server.url, get(already.signal))).rejects.toBe(reason);
    expect(server.sockets).toHaveLength(opened);
  });

  it('text(maxBytes) fails on a larger body and closes the connection', async () => {
    const server = await serve((_request, response) => {
      response.writeHead(200, { 'content-type': 'application/json' });
      response.write('x'.repeat(20_000)); // and never ends
    });
    const transport = createUndiciTransport();
    const signal = new AbortController().signal;
    const response = await transport(server.url, get(signal));
    await expect(response.text(10_000)).rejects.toThrow('worker response larger than 10000 bytes');
    await until(() => allClosedBut(server), 'the server to see the connection closed');
    expect(abortListeners(signal)).toBe(0);
  });

  it('a connection reset mid-body fails the read (not a clean end)', async () => {
    const server = await serve((_request, response) => {
      response.writeHead(200, { 'content-type': 'application/x-ndjson' });
      response.write('{"type":"sources"}\n', () => setTimeout(() => response.socket?.resetAndDestroy(), 20));
    });
    const transport = createUndiciTransport();
    const signal = new AbortController().signal;
    const response = await transport(server.url, get(signal));
    const chunks: string[] = [];
    const read = (async () => {
      for await (const chunk of response.body) chunks.push(Buffer.from(chunk).toString());
    })();
    await expect(read).rejects.toThrow();
    expect(chunks.join('')).toBe('{"type":"sources"}\n');
    expect(abortListeners(signal)).toBe(0);
  });

  it('a worker that closes the connection after its response: the body ends cleanly and the next request opens a new connection', async () => {
    const server = await serve((_request, response) => {
      response.writeHead(200, { connection: 'close' });
      response.end('bye');
    });
    const transport = createUndiciTransport();
    for (let n = 0; n < 2; n += 1) expect(await (await transport(server.url, get())).text()).toBe('bye');
    expect(server.sockets).toHaveLength(2);
  });

  it('skips informational responses (103 Early Hints) and answers with the final one', async () => {
    const server = await serve((_request, response) => {
      response.writeEarlyHints({ link: '</style.css>; rel=preload; as=style' }, () => answer('final')(_request, response));
    });
    const response = await createUndiciTransport()(server.url, get());
    expect(response.status).toBe(200);
    expect(await response.text()).toBe('final');
  });

  it('stops the worker while the reader does not read (back-pressure), and delivers every byte once it reads again', async () => {
    const LIMIT = 64 * 1024 * 1024;
    const piece = Buffer.alloc(16 * 1024, 'y');
    let written = 0;
    let finish = false;
    const server = await serve((_request, response) => {
      response.writeHead(200, { 'content-type': 'application/octet-stream' });
      const pump = () => {
        while (!finish && written < LIMIT) {
          written += piece.byteLength;
          if (!response.write(piece)) {
            response.once('drain', pump);
            return;
          }
        }
        response.end();
      };
      pump();
    });
    const response = await createUndiciTransport()(server.url, get());
    const body = response.body[Symbol.asyncIterator]();
    let read = ((await body.next()).value as Uint8Array).byteLength;
    // Not reading: the worker's writes back up (socket buffers plus the transport's 64 KiB queue),
    // so `written` stops growing well before the worker's own stop at 64 MiB.
    let last = -1;
    while (written !== last) {
      last = written;
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
    expect(written).toBeLessThan(LIMIT);
    finish = true;
    for (;;) {
      const next = await body.next();
      if (next.done) break;
      read += next.value.byteLength;
    }
    expect(read).toBe(written);
  });

  describe('https', () => {
    let certificate: TestCertificate;
    beforeAll(async () => {
      certificate = await createTestCertificate();
    });

    it('reaches an https worker whose certificate is trusted through ca, and refuses it without', async () => {
      const server = await serve(answer('secure'), certificate);
      const trusted: WorkerResponse = await createUndiciTransport({ ca: certificate.cert })(`${server.url}/v1/health`, get());
      expect(await trusted.text()).toBe('secure');
      await expect(createUndiciTransport()(`${server.url}/v1/health`, get())).rejects.toMatchObject({ code: 'DEPTH_ZERO_SELF_SIGNED_CERT' });
    });
  });
});
