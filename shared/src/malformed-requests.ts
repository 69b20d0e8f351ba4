import type { Server } from 'node:http';
import type { Socket } from 'node:net';
import { AppError } from './errors.js';

/**
 * Requests too broken to reach an app still get the error shape `{"error": {"code", "message"}}`.
 *
 * `malformedRequestResponse` is the `errorHandler` for `@hono/node-server`'s `getRequestListener`:
 * a request it cannot turn into a `Request` (a backslash in the path, a Host header that is not a
 * host) is answered 400 `bad_request` instead of an empty `text/plain` 400. The reason is one of
 * the adapter's own fixed sentences, never request data.
 */
export function malformedRequestResponse(error: unknown): Response {
  const reason = error instanceof Error && error.name === 'RequestError' ? error.message : 'the request could not be read';
  return jsonResponse(400, new AppError('bad_request', `malformed request: ${reason}`));
}

const PARSER_ANSWERS: Record<string, { status: number; reason: string; message: string }> = {
  HPE_HEADER_OVERFLOW: { status: 431, reason: 'Request Header Fields Too Large', message: 'the request headers are too large' },
  HPE_CHUNK_EXTENSIONS_OVERFLOW: { status: 413, reason: 'Payload Too Large', message: 'the chunk extensions are too large' },
  ERR_HTTP_REQUEST_TIMEOUT: { status: 408, reason: 'Request Timeout', message: 'the request took too long to arrive' },
};

/**
 * Answers what Node's HTTP parser rejects (an unknown method, bytes that are not allowed in the
 * request target or a header, headers over the limit) with the error shape rather than Node's bare
 * `400 Bad Request` without a body, then closes the connection. Like Node's own handler it writes
 * only on a connection that has not sent anything yet, and a reset connection is just destroyed.
 */
export function answerMalformedRequests(server: Server): void {
  server.on('clientError', (error: NodeJS.ErrnoException, socket: Socket) => {
    if (error.code !== 'ECONNRESET' && socket.writable && socket.bytesWritten === 0) {
      const answer = PARSER_ANSWERS[error.code ?? ''] ?? { status: 400, reason: 'Bad Request', message: 'malformed HTTP request' };
      const body = JSON.stringify(new AppError('bad_request', answer.message, { status: answer.status }).toBody());
      socket.write(
        `HTTP/1.1 ${answer.status} ${answer.reason}\r\ncontent-type: application/json\r\ncontent-length: ${Buffer.byteLength(body)}\r\nconnection: close\r\n\r\n${body}`,
      );
    }
    socket.destroy();
  });
}

function jsonResponse(status: number, error: AppError): Response {
  return new Response(JSON.stringify(error.toBody()), { status, headers: { 'content-type': 'application/json' } });
}
