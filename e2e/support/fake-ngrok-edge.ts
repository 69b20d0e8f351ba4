import { createServer as createHttpServer, request as httpRequest } from 'node:http';
import type { IncomingHttpHeaders, IncomingMessage, Server, ServerResponse } from 'node:http';
import { createServer as createHttpsServer } from 'node:https';
import type { AddressInfo } from 'node:net';
import type { TLSSocket } from 'node:tls';
import type { NgrokForwardConfig, NgrokListener, NgrokModule } from '@review-assistant/local-worker';

/** One request that crossed the fake edge, with the sizes ngrok would bill. */
export interface EdgeRequest {
  method: string;
  path: string;
  /** Host header the worker received (the public domain, as ngrok sends it). */
  forwardedHost: string;
  status: number;
  bytesIn: number;
  bytesOut: number;
  /** The client reached the edge over TLS. */
  encrypted: boolean;
  /** The worker's response ended normally (false: the upstream died mid-stream). */
  complete: boolean;
}

export interface FakeNgrokEdgeOptions {
  /** The public domain sent as Host. @default fake-worker.ngrok-free.app */
  publicHost?: string;
  /** Serve the public URL over HTTPS with this key and certificate, as ngrok's edge does. */
  tls?: { key: string; cert: string };
}

/**
 * Stands in for the ngrok cloud in tests: `forward()` opens a real HTTP reverse proxy on 127.0.0.1
 * (the "public URL") that streams requests to the worker the way an ngrok edge does: the Host
 * header becomes the public domain, X-Forwarded-For/-Host/-Proto are added, bodies stream both
 * ways unbuffered. It records every request with its byte counts (what the free plan meters).
 * With `tls` the public URL is `https://` (the gateway's production transport); a worker that dies
 * mid-response makes the edge cut the client's connection too, as a real edge does.
 */
export class FakeNgrokEdge implements NgrokModule {
  readonly configs: NgrokForwardConfig[] = [];
  readonly requests: EdgeRequest[] = [];
  /** When each public URL started answering (Date.now()). */
  readonly opened: { url: string; atMs: number }[] = [];
  private readonly servers = new Set<Server>();
  /** Number of forward() calls still to fail with a network error (to exercise reconnects). */
  failNext = 0;

  private readonly publicHost: string;
  private readonly tls: FakeNgrokEdgeOptions['tls'];

  constructor(options: FakeNgrokEdgeOptions | string = {}) {
    const settings = typeof options === 'string' ? { publicHost: options } : options;
    this.publicHost = settings.publicHost ?? 'fake-worker.ngrok-free.app';
    this.tls = settings.tls;
  }

  async forward(config: NgrokForwardConfig): Promise<NgrokListener> {
    this.configs.push(config);
    if (this.failNext > 0) {
      this.failNext -= 1;
      throw new Error('failed to connect session: io error: connection refused');
    }
    const target = new URL(config.addr);
    const handler = (incoming: IncomingMessage, outgoing: ServerResponse) => {
      const encrypted = Boolean((incoming.socket as Partial<TLSSocket>).encrypted);
      let bytesIn = 0;
      let bytesOut = 0;
      const headers: IncomingHttpHeaders = {
        ...incoming.headers,
        host: this.publicHost,
        'x-forwarded-for': incoming.socket.remoteAddress ?? '127.0.0.1',
        'x-forwarded-host': this.publicHost,
        'x-forwarded-proto': 'https',
      };
      const upstream = httpRequest(
        { host: target.hostname, port: target.port, method: incoming.method, path: incoming.url, headers },
        (response) => {
          outgoing.writeHead(response.statusCode ?? 502, response.headers);
          response.on('data', (chunk: Buffer) => {
            bytesOut += chunk.byteLength;
            outgoing.write(chunk);
          });
          const record = (complete: boolean) =>
            this.requests.push({ method: incoming.method ?? '', path: incoming.url ?? '', forwardedHost: this.publicHost, status: response.statusCode ?? 0, bytesIn, bytesOut, encrypted, complete });
          response.on('end', () => {
            outgoing.end();
            record(true);
          });
          // the worker died mid-response: cut the client off instead of ending the body cleanly
          response.on('close', () => {
            if (response.complete) return;
            record(false);
            outgoing.destroy();
          });
        },
      );
      upstream.on('error', () => {
        if (!outgoing.headersSent) outgoing.writeHead(502, { 'content-type': 'text/plain' });
        outgoing.end('ERR_NGROK_8012: upstream unreachable');
      });
      incoming.on('data', (chunk: Buffer) => {
        bytesIn += chunk.byteLength;
      });
      incoming.pipe(upstream);
    };
    const server: Server = this.tls ? createHttpsServer({ key: this.tls.key, cert: this.tls.cert }, handler) : createHttpServer(handler);
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    this.servers.add(server);
    const url = `${this.tls ? 'https' : 'http'}://127.0.0.1:${(server.address() as AddressInfo).port}`;
    this.opened.push({ url, atMs: Date.now() });
    return {
      url: () => url,
      close: async () => {
        this.servers.delete(server);
        server.closeAllConnections();
        await new Promise<void>((resolve) => server.close(() => resolve()));
      },
    };
  }

  /** Simulates the ngrok session dropping (the SDK's status callback). */
  dropSession(): void {
    this.configs.at(-1)?.onStatusChange?.('closed');
  }

  async closeAll(): Promise<void> {
    await Promise.all(
      [...this.servers].map(
        (server) =>
          new Promise<void>((resolve) => {
            server.closeAllConnections();
            server.close(() => resolve());
          }),
      ),
    );
    this.servers.clear();
  }
}
