/** A tunnel failure with a message a user can act on; `retryable` drives the reconnect loop. */
export class TunnelError extends Error {
  override readonly name = 'TunnelError';
  constructor(
    message: string,
    readonly code: string,
    readonly retryable: boolean,
    options: { cause?: unknown } = {},
  ) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
  }
}

/**
 * ngrok error codes we explain (https://ngrok.com/docs/errors/). Everything here is fatal:
 * retrying with the same token or domain cannot succeed.
 */
const FATAL_CODES: Record<string, string> = {
  ERR_NGROK_105: 'NGROK_AUTHTOKEN is not a valid ngrok authtoken (copy it again from https://dashboard.ngrok.com/get-started/your-authtoken)',
  ERR_NGROK_106: 'NGROK_AUTHTOKEN is an old ngrok v1 token; create a new one at https://dashboard.ngrok.com/get-started/your-authtoken',
  ERR_NGROK_107: 'NGROK_AUTHTOKEN is well-formed but was rejected (reset or revoked?); check it at https://dashboard.ngrok.com/get-started/your-authtoken',
  ERR_NGROK_102: 'the ngrok account is suspended (failed payment); see the ngrok dashboard',
  ERR_NGROK_103: 'the ngrok account is suspended; see the ngrok dashboard',
  ERR_NGROK_108: 'the ngrok account already has its maximum number of agent sessions (free plan: stop the other agent or worker first)',
  ERR_NGROK_4018: 'ngrok needs a verified account and NGROK_AUTHTOKEN',
  ERR_NGROK_313: 'NGROK_DOMAIN is not a domain of this account (choosing your own subdomain is a paid feature; copy the free static domain from https://dashboard.ngrok.com/domains)',
  ERR_NGROK_314: 'NGROK_DOMAIN is a custom hostname, which the free plan cannot bind; use the free static domain from https://dashboard.ngrok.com/domains',
  ERR_NGROK_319: 'NGROK_DOMAIN must be reserved in your ngrok account first (https://dashboard.ngrok.com/domains)',
  ERR_NGROK_320: 'NGROK_DOMAIN is reserved by another ngrok account (is NGROK_AUTHTOKEN from the account that owns the domain?)',
  ERR_NGROK_326: 'NGROK_DOMAIN contains an invalid character',
  ERR_NGROK_348: 'the ngrok account has reached its session limit (free plan: stop the other agent or worker first)',
};

/** Codes worth retrying, with a hint: the condition usually clears by itself. */
const RETRYABLE_HINTS: Record<string, string> = {
  ERR_NGROK_334: 'the endpoint for NGROK_DOMAIN is already online (another worker, or the previous session of this one that ngrok has not dropped yet)',
};

const NETWORK_HINTS = /dns|resolve|connect|timed? ?out|network|unreachable|refused|reset|tls|handshake|io error|eof/i;

/** Turns whatever `@ngrok/ngrok` threw into a `TunnelError` with a clear message and retryability. */
export function classifyNgrokError(error: unknown): TunnelError {
  const message = error instanceof Error ? error.message : String(error);
  const fromProperty = typeof error === 'object' && error !== null && 'errorCode' in error ? String((error as { errorCode: unknown }).errorCode) : undefined;
  const code = fromProperty ?? /ERR_NGROK_\d+/.exec(message)?.[0];
  if (code !== undefined && FATAL_CODES[code] !== undefined) {
    return new TunnelError(`ngrok: ${FATAL_CODES[code]} (${code})`, code, false, { cause: error });
  }
  if (code !== undefined && RETRYABLE_HINTS[code] !== undefined) {
    return new TunnelError(`ngrok: ${RETRYABLE_HINTS[code]} (${code})`, code, true, { cause: error });
  }
  if (code !== undefined) {
    return new TunnelError(`ngrok refused the tunnel (${code}): see https://ngrok.com/docs/errors/${code.replace('ERR_NGROK_', 'err_ngrok_')}`, code, true, { cause: error });
  }
  if (NETWORK_HINTS.test(message)) {
    return new TunnelError('ngrok: cannot reach the ngrok service (no network, DNS or a firewall blocking outbound TLS on port 443?)', 'network', true, { cause: error });
  }
  return new TunnelError(`ngrok: ${message}`, 'unknown', true, { cause: error });
}

/** Removes an authtoken from text before it is logged (ngrok echoes tokens in some errors). */
export function redactToken(text: string, token: string | undefined): string {
  if (!token) return text;
  return text.split(token).join('[redacted]');
}
