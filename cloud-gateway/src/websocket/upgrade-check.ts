import type { IncomingMessage } from 'node:http';
import { AppError } from '@review-assistant/shared';

/** Why an upgrade request is refused before the app runs: the error and any extra response headers. */
export interface UpgradeRefusal {
  error: AppError;
  headers?: Record<string, string>;
}

export interface UpgradeCheckOptions {
  /** The one path that accepts WebSocket upgrades, e.g. `/ws/chat`. */
  path: string;
  /** Origins allowed besides the page's own (`CORS_ORIGINS`). */
  allowedOrigins: readonly string[];
}

// RFC 6455 §4.1: the key is 16 random bytes, base64-encoded (24 characters ending in "==").
const WEBSOCKET_KEY = /^[+/0-9A-Za-z]{22}==$/;

const refuse = (error: AppError, headers?: Record<string, string>): UpgradeRefusal => (headers ? { error, headers } : { error });

/**
 * Checks an `upgrade` request as a WebSocket handshake on `options.path` before any of it reaches
 * the app or `ws`: the path, the method, `Upgrade: websocket`, `Sec-WebSocket-Version: 13`, a
 * well-formed `Sec-WebSocket-Key` and, when the client sends one (browsers always do), an `Origin`
 * that is the page's own (same host) or one of `allowedOrigins`. Returns the refusal, or undefined.
 */
export function checkUpgrade(request: IncomingMessage, options: UpgradeCheckOptions): UpgradeRefusal | undefined {
  let pathname: string;
  try {
    pathname = new URL(request.url ?? '/', 'http://gateway.invalid').pathname;
  } catch {
    return refuse(new AppError('bad_request', 'malformed request target'));
  }
  if (pathname !== options.path) {
    return refuse(new AppError('bad_request', `connection upgrades are accepted only on ${options.path}`));
  }
  if (request.method !== 'GET') {
    return refuse(new AppError('method_not_allowed', 'a WebSocket handshake is a GET request'), { Allow: 'GET' });
  }
  if (request.headers.upgrade?.toLowerCase() !== 'websocket') {
    return refuse(new AppError('bad_request', 'only Upgrade: websocket is accepted'));
  }
  if (request.headers['sec-websocket-version'] !== '13') {
    // RFC 6455 §4.4: answer 426 naming the version we speak.
    return refuse(new AppError('bad_request', 'unsupported Sec-WebSocket-Version; use 13', { status: 426 }), { 'Sec-WebSocket-Version': '13' });
  }
  const key = request.headers['sec-websocket-key'];
  if (typeof key !== 'string' || !WEBSOCKET_KEY.test(key)) {
    return refuse(new AppError('bad_request', 'missing or malformed Sec-WebSocket-Key'));
  }
  const origin = request.headers.origin;
  if (origin !== undefined && !isAllowedOrigin(origin, request.headers.host, options.allowedOrigins)) {
    return refuse(new AppError('forbidden', 'WebSocket connections from this origin are not allowed'));
  }
  return undefined;
}

/** Same host as the request (the page the gateway served), or listed in `allowedOrigins`. */
function isAllowedOrigin(origin: string, host: string | undefined, allowedOrigins: readonly string[]): boolean {
  if (allowedOrigins.includes(origin)) return true;
  let originHost: string;
  try {
    originHost = new URL(origin).host;
  } catch {
    return false; // e.g. "null" from sandboxed frames and file: pages
  }
  return host !== undefined && originHost !== '' && originHost.toLowerCase() === host.toLowerCase();
}
