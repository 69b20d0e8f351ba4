import { createHash, timingSafeEqual } from 'node:crypto';
import type { Context } from 'hono';
import { AppError } from '@review-assistant/shared';
import type { GatewayEnv } from './gateway-env.js';
import { clientIp, TokenBucketLimiter } from './rate-limit.js';

const digest = (value: string) => createHash('sha256').update(value, 'utf8').digest();

/**
 * Secrets (API keys, the admin or metrics token) compared in constant time: both sides are
 * SHA-256 digests, so neither the length nor a prefix of a secret leaks through timing, and every
 * candidate is compared whatever matched before.
 */
export class SecretSet {
  private readonly digests: Buffer[];

  constructor(secrets: readonly string[]) {
    this.digests = secrets.map(digest);
  }

  get size(): number {
    return this.digests.length;
  }

  /** The matching secret's short id (a digest prefix, safe to log and to key limits by), or undefined. */
  match(given: string): string | undefined {
    const givenDigest = digest(given);
    let matched = false;
    for (const candidate of this.digests) matched = timingSafeEqual(candidate, givenDigest) || matched;
    return matched ? givenDigest.subarray(0, 8).toString('hex') : undefined;
  }
}

/** The token of `Authorization: Bearer <token>`, or undefined. */
export function bearerToken(c: Context): string | undefined {
  return c.req.header('authorization')?.match(/^Bearer\s+(\S+)\s*$/i)?.[1];
}

/** Failed credential attempts one client IP may make at once, and per minute once they are spent. */
const FAILURE_BURST = 10;
const FAILURES_PER_MINUTE = 10;

/**
 * Failed credential attempts per client IP (API keys, admin and metrics tokens): after
 * `FAILURE_BURST` failures an address gets 429 with `Retry-After` on every credential check, right
 * or wrong, until its budget refills (`FAILURES_PER_MINUTE`); guessing a key stays a slow business.
 */
export class FailedAttempts {
  private readonly failures: TokenBucketLimiter;

  constructor(
    private readonly trustProxy: boolean,
    now: () => number = Date.now,
  ) {
    this.failures = new TokenBucketLimiter(FAILURES_PER_MINUTE, FAILURE_BURST, now);
  }

  /** Throws 429 `rate_limited` (with `Retry-After`) while the client's failure budget is spent. */
  assertAllowed(c: Context<GatewayEnv>): void {
    const decision = this.failures.peek(clientIp(c, this.trustProxy));
    if (!decision.allowed) throw this.refusal(c, decision.retryAfterSeconds);
  }

  /** Counts a failure; throws the 429 at once when it spends the last of the budget. */
  recordFailure(c: Context<GatewayEnv>): void {
    const decision = this.failures.take(clientIp(c, this.trustProxy));
    if (!decision.allowed) throw this.refusal(c, decision.retryAfterSeconds);
  }

  private refusal(c: Context, retryAfterSeconds: number): AppError {
    c.header('Retry-After', String(retryAfterSeconds));
    return new AppError('rate_limited', `too many failed credential attempts from this address; retry in ${retryAfterSeconds} s`);
  }
}

export interface RequireTokenOptions {
  secrets: SecretSet;
  /** Counts failed attempts per client IP (the app's one instance, see `c.var.failedAttempts`). */
  failedAttempts?: FailedAttempts | undefined;
  /** Another header that may carry the token, e.g. `x-api-key`. */
  alternateHeader?: string;
  /** `WWW-Authenticate` realm of the 401. */
  realm: string;
  /** What a 401 says when no token was sent, e.g. `send Authorization: Bearer <ADMIN_TOKEN>`. */
  missing: string;
  /** What a 401 says for a wrong token. */
  invalid: string;
}

/**
 * The one token check of the gateway: throws 429 while the client's failed-attempt budget is
 * spent, 401 (`WWW-Authenticate: Bearer`) for a missing or wrong token (counting the failure), and
 * returns the matching secret's id otherwise.
 */
export function requireToken(c: Context<GatewayEnv>, options: RequireTokenOptions): string {
  const failedAttempts = options.failedAttempts ?? c.get('failedAttempts');
  failedAttempts?.assertAllowed(c);
  const given = bearerToken(c) ?? (options.alternateHeader ? c.req.header(options.alternateHeader)?.trim() : undefined);
  const id = given ? options.secrets.match(given) : undefined;
  if (id !== undefined) return id;
  c.header('WWW-Authenticate', `Bearer realm="${options.realm}"`);
  if (given) failedAttempts?.recordFailure(c);
  throw new AppError('unauthorized', given ? options.invalid : options.missing);
}
