import { connect } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ErrorBodySchema } from '@review-assistant/shared';
import { createTestGateway, type TestGateway } from './testing/gateway-harness.js';

/** Sends raw request bytes and returns the status line, content type and body of the answer. */
function rawRequest(url: string, request: string): Promise<{ status: number; contentType: string | undefined; body: string }> {
  const { hostname, port } = new URL(url);
  return new Promise((resolve, reject) => {
    let answer = '';
    const socket = connect({ host: hostname, port: Number(port) }, () => socket.write(request));
    socket.on('data', (chunk: Buffer) => (answer += chunk.toString('utf8')));
    socket.on('close', () => {
      const [head = '', ...rest] = answer.split('\r\n\r\n');
      const chunked = /transfer-encoding: chunked/i.test(head);
      const raw = rest.join('\r\n\r\n');
      const body = chunked ? raw.split('\r\n').filter((_, index) => index % 2 === 1).join('') : raw;
      resolve({ status: Number(head.split(' ')[1]), contentType: /content-type: ([^\r\n;]+)/i.exec(head)?.[1], body });
    });
    socket.on('error', reject);
  });
}

let gateway: TestGateway;
beforeAll(async () => {
  gateway = createTestGateway();
  await gateway.listen();
});
afterAll(() => gateway.close());

describe('gateway HTTP server', () => {
  it('answers a path with a backslash (refused by the Node adapter) with 400 in the error shape', async () => {
    const answer = await rawRequest(gateway.url, 'GET /docs\\assets HTTP/1.1\r\nhost: 127.0.0.1\r\nconnection: close\r\n\r\n');
    expect(answer.status).toBe(400);
    expect(answer.contentType).toBe('application/json');
    expect(ErrorBodySchema.parse(JSON.parse(answer.body)).error.code).toBe('bad_request');
  });

  it('answers an unknown method (refused by the HTTP parser) with 400 in the error shape', async () => {
    const answer = await rawRequest(gateway.url, 'CONNECTX /healthz HTTP/1.1\r\nhost: 127.0.0.1\r\n\r\n');
    expect(answer.status).toBe(400);
    expect(answer.contentType).toBe('application/json');
    expect(ErrorBodySchema.parse(JSON.parse(answer.body)).error.code).toBe('bad_request');
    expect((await fetch(`${gateway.url}/healthz`)).status).toBe(200);
  });
});
