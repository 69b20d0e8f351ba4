import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { HeartbeatSchema, NonceCache, SignatureError, verifyRequest } from '@review-assistant/shared';
import type { Heartbeat } from '@review-assistant/shared';

export interface ReceivedCall {
  path: string;
  /** 'ok', or the `SignatureError` reason the real route would reject with. */
  verdict: string;
  body: Heartbeat | null;
}

/**
 * A stand-in gateway for heartbeat tests, over real HTTP on 127.0.0.1: verifies each call's
 * signature exactly as the real route must (401 when it fails), records every call, and answers
 * `status` (default 200) to the signed ones.
 */
export async function startHeartbeatGateway(options: { secret: string; status?: number; errorBody?: { code: string; message: string } }) {
  const received: ReceivedCall[] = [];
  const waiters: (() => void)[] = [];
  const nonceCache = new NonceCache();
  const server = createServer((request, response) => {
    const chunks: Buffer[] = [];
    request.on('data', (chunk: Buffer) => chunks.push(chunk));
    request.on('end', () => {
      const raw = Buffer.concat(chunks);
      let verdict = 'ok';
      try {
        verifyRequest({
          secret: options.secret,
          method: request.method ?? '',
          path: request.url ?? '',
          body: raw,
          header: (name) => {
            const value = request.headers[name];
            return Array.isArray(value) ? value[0] : value;
          },
          nonceCache,
        });
      } catch (error) {
        verdict = error instanceof SignatureError ? error.reason : 'error';
      }
      const parsed = HeartbeatSchema.safeParse(JSON.parse(raw.toString('utf8') || 'null'));
      received.push({ path: request.url ?? '', verdict, body: parsed.success ? parsed.data : null });
      waiters.splice(0).forEach((wake) => wake());
      const status = verdict === 'ok' ? (options.status ?? 200) : 401;
      const body = status !== 200 && options.errorBody ? JSON.stringify({ error: options.errorBody }) : '{}';
      response.writeHead(status, { 'content-type': 'application/json' }).end(body);
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    received,
    /** Bodies of the correctly signed calls, in arrival order. */
    get heartbeats(): Heartbeat[] {
      return received.flatMap((call) => (call.verdict === 'ok' && call.body !== null ? [call.body] : []));
    },
    /** Resolves once `predicate` holds (checked after every call). */
    async until(predicate: () => boolean): Promise<void> {
      while (!predicate()) await new Promise<void>((resolve) => waiters.push(resolve));
    },
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}
