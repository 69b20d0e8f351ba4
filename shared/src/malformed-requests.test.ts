import { createServer, type Server } from 'node:http';
import { connect } from 'node:net';
import type { AddressInfo } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { ErrorBodySchema } from './errors.js';
import { answerMalformedRequests, malformedRequestResponse } from './malformed-requests.js';

/** Writes raw bytes to the server and returns everything it answers until it closes the connection. */
function exchange(server: Server, bytes: string): Promise<string> {
  const { port } = server.address() as AddressInfo;
  return new Promise((resolve, reject) => {
    let answer = '';
    const socket = connect({ host: '127.0.0.1', port }, () => socket.write(bytes));
    socket.on('data', (chunk: Buffer) => (answer += chunk.toString('latin1')));
    socket.on('close', () => resolve(answer));
    socket.on('error', reject);
  });
}

function parse(answer: string): { status: number; contentType: string | undefined; body: unknown } {
  const [head = '', body = ''] = answer.split('\r\n\r\n');
  return {
    status: Number(head.split(' ')[1]),
    contentType: /content-type: ([^\r\n]+)/i.exec(head)?.[1],
    body: JSON.parse(body) as unknown,
  };
}

let server: Server;
afterEach(() => new Promise<void>((resolve) => server.close(() => resolve())));

async function listen(): Promise<Server> {
  server = createServer((_request, response) => response.end('ok'));
  answerMalformedRequests(server);
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return server;
}

describe('answerMalformedRequests', () => {
  it('answers a request the HTTP parser rejects with a 400 in the error shape', async () => {
    for (const request of ['CONNECTX / HTTP/1.1\r\nhost: x\r\n\r\n', 'GET /caf\xe9 HTTP/1.1\r\nhost: x\r\n\r\n', 'GET / HTTP/1.1\r\nbad header\r\n\r\n']) {
      const answer = parse(await exchange(await listen(), request));
      await new Promise<void>((resolve) => server.close(() => resolve()));
      expect(answer.status).toBe(400);
      expect(answer.contentType).toBe('application/json');
      expect(ErrorBodySchema.parse(answer.body).error.code).toBe('bad_request');
    }
    await listen();
  });

  it('answers headers over the limit with 431 in the error shape', async () => {
    const answer = parse(await exchange(await listen(), `GET / HTTP/1.1\r\nhost: x\r\nx-big: ${'a'.repeat(20_000)}\r\n\r\n`));
    expect(answer.status).toBe(431);
    expect(ErrorBodySchema.parse(answer.body).error.message).toMatch(/headers are too large/);
  });

  it('still serves well-formed requests, also after a client that reset mid-head', async () => {
    await listen();
    const { port } = server.address() as AddressInfo;
    await new Promise<void>((resolve) => {
      const socket = connect({ host: '127.0.0.1', port }, () => socket.write('GET / HT', () => (socket.resetAndDestroy(), resolve())));
    });
    const answer = await exchange(server, 'GET / HTTP/1.1\r\nhost: x\r\nconnection: close\r\n\r\n');
    expect(answer).toMatch(/^HTTP\/1.1 200 OK/);
  });
});

describe('malformedRequestResponse', () => {
  it('turns the Node adapter’s request errors into a 400 in the error shape, naming only the adapter’s reason', async () => {
    const error = Object.assign(new Error('Backslash in request path'), { name: 'RequestError' });
    const response = malformedRequestResponse(error);
    expect(response.status).toBe(400);
    expect(response.headers.get('content-type')).toBe('application/json');
    expect(ErrorBodySchema.parse(await response.json()).error).toEqual({ code: 'bad_request', message: 'malformed request: Backslash in request path' });
    const other = await malformedRequestResponse(new Error('/secret/path/x')).json();
    expect(JSON.stringify(other)).not.toContain('secret');
  });
});
