import { request as httpRequest, type IncomingHttpHeaders } from 'node:http';
import { connect } from 'node:net';
import type { ZodType } from 'zod';
import { ErrorBodySchema } from '@review-assistant/shared';

/** What came back for one probe: a response, or the connection ending without one. */
export type ProbeResult =
  | { kind: 'response'; status: number; headers: IncomingHttpHeaders; body: Buffer }
  | { kind: 'closed'; error: string };

export interface Probe {
  method: string;
  /** Path with query, sent as is (may hold bytes that are not valid UTF-8, as latin1 characters). */
  path: string;
  headers?: Record<string, string | string[]>;
  body?: Buffer | undefined;
  /** Send the body in chunked encoding (no content-length). */
  chunked?: boolean;
  timeoutMs?: number;
}

/**
 * Sends one well-framed HTTP/1.1 request with Node's client (any method, path bytes, header
 * values and body) and reads the whole response. An upgrade answer (101) counts as a response.
 */
export function sendProbe(baseUrl: string, probe: Probe): Promise<ProbeResult> {
  const target = new URL(baseUrl);
  return new Promise((resolve) => {
    let settled = false;
    const finish = (result: ProbeResult) => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      resolve(result);
    };
    const headers: Record<string, string | string[]> = { ...probe.headers };
    // Node's client frames a body as chunked only for methods it expects a body with: say it always
    if (probe.body !== undefined) headers[probe.chunked ? 'transfer-encoding' : 'content-length'] = probe.chunked ? 'chunked' : String(probe.body.length);
    const request = httpRequest({
      host: target.hostname,
      port: target.port,
      method: probe.method,
      path: probe.path,
      headers,
      agent: false,
      insecureHTTPParser: true,
    });
    const timer = setTimeout(() => {
      request.destroy();
      finish({ kind: 'closed', error: `no complete response within ${probe.timeoutMs ?? 15_000} ms` });
    }, probe.timeoutMs ?? 15_000);
    request.on('response', (response) => {
      const chunks: Buffer[] = [];
      response.on('data', (chunk: Buffer) => chunks.push(chunk));
      response.on('end', () => finish({ kind: 'response', status: response.statusCode ?? 0, headers: response.headers, body: Buffer.concat(chunks) }));
      response.on('error', (error) => finish({ kind: 'closed', error: error.message }));
    });
    request.on('upgrade', (response, socket) => {
      socket.destroy();
      finish({ kind: 'response', status: response.statusCode ?? 101, headers: response.headers, body: Buffer.alloc(0) });
    });
    request.on('error', (error) => finish({ kind: 'closed', error: error.message }));
    if (probe.body !== undefined) request.write(probe.body);
    request.end();
  });
}

/**
 * Writes raw bytes (a request head, perhaps part of a body) to a fresh connection, then resets it
 * with a TCP RST (`resetAndDestroy`): the client that vanishes mid-request.
 */
export function sendThenReset(baseUrl: string, bytes: Buffer, waitMs = 5): Promise<void> {
  const target = new URL(baseUrl);
  return new Promise((resolve) => {
    const socket = connect({ host: target.hostname, port: Number(target.port) }, () => {
      socket.write(bytes, () => {
        setTimeout(() => {
          socket.resetAndDestroy();
          resolve();
        }, waitMs);
      });
    });
    socket.on('error', () => resolve());
  });
}

/** The head of an HTTP/1.1 request as raw bytes (latin1: every char code becomes one byte). */
export function rawHead(method: string, path: string, headers: Record<string, string>): Buffer {
  const lines = [`${method} ${path} HTTP/1.1`, ...Object.entries(headers).map(([name, value]) => `${name}: ${value}`), '', ''];
  return Buffer.from(lines.join('\r\n'), 'latin1');
}

/**
 * Why a response breaks the HTTP edge contract, or undefined when it keeps it: never a 5xx, and
 * every 4xx/5xx carries the route's error shape as JSON (`{"error": {"code", "message"}}` unless
 * the route speaks another protocol's).
 */
export function contractViolation(probe: Pick<Probe, 'method' | 'path'>, result: ProbeResult, errorSchema: ZodType = ErrorBodySchema): string | undefined {
  if (result.kind !== 'response') return undefined;
  const where = `${probe.method} ${JSON.stringify(probe.path).slice(0, 200)} → ${result.status}`;
  if (result.status >= 500) return `${where}: server error ${result.body.toString('utf8').slice(0, 300)}`;
  if (result.status < 400 || probe.method === 'HEAD') return undefined;
  const type = String(result.headers['content-type'] ?? '');
  if (!type.includes('application/json')) return `${where}: error without a JSON body (content-type ${JSON.stringify(type)})`;
  let parsed: unknown;
  try {
    parsed = JSON.parse(result.body.toString('utf8'));
  } catch {
    return `${where}: error body is not JSON: ${result.body.toString('utf8').slice(0, 200)}`;
  }
  if (!errorSchema.safeParse(parsed).success) return `${where}: error body is not in the route's error shape: ${result.body.toString('utf8').slice(0, 200)}`;
  return undefined;
}

/** Polls `check` until it returns true or `timeoutMs` passes; returns the time it took. */
export async function waitUntil(check: () => boolean | Promise<boolean>, timeoutMs: number, what: string): Promise<number> {
  const started = Date.now();
  for (;;) {
    if (await check()) return Date.now() - started;
    if (Date.now() - started > timeoutMs) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}
