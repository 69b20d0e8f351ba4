/**
 * A tiny S3-compatible HTTP server for tests: path-style `GET /bucket/key` (GetObject) with
 * ETag / If-None-Match, and S3's XML error body for missing keys: 404 NoSuchKey when the caller may
 * list the bucket, 403 AccessDenied when it may not (AWS hides whether the key exists from a role
 * with `s3:GetObject` only, which is what the gateway's instance role has). It records every request.
 */
import { createHash } from 'node:crypto';
import { createServer, type IncomingHttpHeaders, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';

export interface S3Double {
  endpoint: string;
  objects: Map<string, Buffer>;
  requests: Array<{ method: string; path: string; headers: IncomingHttpHeaders; status: number }>;
  /** When true, every request fails with 503 SlowDown. */
  unavailable: boolean;
  /** When true, the caller has `s3:GetObject` but not `s3:ListBucket`: a missing key is 403 AccessDenied. @default false */
  getObjectOnly: boolean;
  close(): Promise<void>;
}

function errorXml(code: string, message: string, resource: string): string {
  return `<?xml version="1.0" encoding="UTF-8"?>\n<Error><Code>${code}</Code><Message>${message}</Message><Resource>${resource}</Resource><RequestId>double</RequestId></Error>`;
}

export async function startS3Double(): Promise<S3Double> {
  const objects = new Map<string, Buffer>();
  const requests: S3Double['requests'] = [];
  const state = { unavailable: false, getObjectOnly: false };
  const server: Server = createServer((request, response) => {
    const path = decodeURIComponent((request.url ?? '/').split('?')[0]!);
    const send = (status: number, headers: Record<string, string>, body?: Buffer | string) => {
      requests.push({ method: request.method ?? '', path, headers: request.headers, status });
      response.writeHead(status, { 'x-amz-request-id': 'double', ...headers });
      response.end(body);
    };
    if (state.unavailable) return send(503, { 'content-type': 'application/xml' }, errorXml('SlowDown', 'Please reduce your request rate.', path));
    if (request.method !== 'GET') return send(405, { 'content-type': 'application/xml' }, errorXml('MethodNotAllowed', 'Only GetObject is implemented.', path));
    const object = objects.get(path.slice(1));
    if (object === undefined && state.getObjectOnly) return send(403, { 'content-type': 'application/xml' }, errorXml('AccessDenied', 'Access Denied', path));
    if (object === undefined) return send(404, { 'content-type': 'application/xml' }, errorXml('NoSuchKey', 'The specified key does not exist.', path));
    const etag = `"${createHash('md5').update(object).digest('hex')}"`;
    if (request.headers['if-none-match'] === etag) return send(304, { etag });
    return send(200, { 'content-type': 'application/octet-stream', 'content-length': String(object.length), etag, 'last-modified': new Date(0).toUTCString() }, object);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    endpoint: `http://127.0.0.1:${port}`,
    objects,
    requests,
    get unavailable() {
      return state.unavailable;
    },
    set unavailable(value: boolean) {
      state.unavailable = value;
    },
    get getObjectOnly() {
      return state.getObjectOnly;
    },
    set getObjectOnly(value: boolean) {
      state.getObjectOnly = value;
    },
    close: () => new Promise<void>((resolve, reject) => server.close((error) => (error ? reject(error) : resolve()))),
  };
}
