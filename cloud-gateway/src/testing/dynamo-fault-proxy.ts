import { createServer, request as httpRequest, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';

/** What the proxy does with one request: pass it on, or answer with a DynamoDB error. */
export type FaultDecision = { kind: 'forward' } | { kind: 'error'; status: number; type: string; message: string } | { kind: 'unprocessed'; keep: number };

export interface DynamoFaultProxy {
  endpoint: string;
  /** Operations seen (`BatchWriteItem`, `Query`...), in order. */
  readonly seen: string[];
  /** Decides per request; `operation` comes from the `X-Amz-Target` header. */
  decide: (operation: string, body: unknown) => FaultDecision;
  close(): Promise<void>;
}

/**
 * A loopback HTTP proxy in front of a DynamoDB-compatible server (tests only) that can answer with
 * DynamoDB's own error protocol (`__type` + message, HTTP 400/500) or cut a BatchWriteItem down
 * to its first `keep` items and report the rest as `UnprocessedItems`, as throttled DynamoDB does.
 */
export async function startDynamoFaultProxy(upstream: string): Promise<DynamoFaultProxy> {
  const target = new URL(upstream);
  const proxy: DynamoFaultProxy = {
    endpoint: '',
    seen: [],
    decide: () => ({ kind: 'forward' }),
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
  const server = createServer((incoming: IncomingMessage, response: ServerResponse) => {
    const chunks: Buffer[] = [];
    incoming.on('data', (chunk: Buffer) => chunks.push(chunk));
    incoming.on('end', () => {
      const operation = String(incoming.headers['x-amz-target'] ?? '').split('.').at(-1) ?? '';
      proxy.seen.push(operation);
      let body = Buffer.concat(chunks);
      const parsed = JSON.parse(body.toString('utf8') || '{}') as Record<string, unknown>;
      const decision = proxy.decide(operation, parsed);
      if (decision.kind === 'error') {
        response.writeHead(decision.status, { 'content-type': 'application/x-amz-json-1.0' });
        response.end(JSON.stringify({ __type: `com.amazonaws.dynamodb.v20120810#${decision.type}`, message: decision.message }));
        return;
      }
      let unprocessed: Record<string, unknown[]> | undefined;
      if (decision.kind === 'unprocessed') {
        const items = parsed.RequestItems as Record<string, unknown[]>;
        unprocessed = {};
        for (const [table, requests] of Object.entries(items)) {
          unprocessed[table] = requests.slice(decision.keep);
          items[table] = requests.slice(0, decision.keep);
        }
        body = Buffer.from(JSON.stringify(parsed), 'utf8');
      }
      const headers = { ...incoming.headers, host: target.host, 'content-length': String(body.length) };
      const forwarded = httpRequest({ hostname: target.hostname, port: target.port, path: incoming.url, method: incoming.method, headers }, (reply) => {
        const replyChunks: Buffer[] = [];
        reply.on('data', (chunk: Buffer) => replyChunks.push(chunk));
        reply.on('end', () => {
          let replyBody = Buffer.concat(replyChunks);
          if (unprocessed && reply.statusCode === 200) {
            const json = JSON.parse(replyBody.toString('utf8')) as Record<string, unknown>;
            json.UnprocessedItems = unprocessed;
            replyBody = Buffer.from(JSON.stringify(json), 'utf8');
          }
          const replyHeaders: Record<string, string | string[] | undefined> = { ...reply.headers, 'content-length': String(replyBody.length) };
          delete replyHeaders['x-amz-crc32']; // the body changed; the SDK checks this checksum
          response.writeHead(reply.statusCode ?? 500, replyHeaders);
          response.end(replyBody);
        });
      });
      forwarded.on('error', () => response.destroy());
      forwarded.end(body);
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', () => resolve()));
  proxy.endpoint = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  return proxy;
}
