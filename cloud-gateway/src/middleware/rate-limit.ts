import type { IncomingMessage } from 'node:http';
import type { Context } from 'hono';
import type { GatewayEnv } from './gateway-env.js';
import type { TrustedEdge } from './trusted-edge.js';
import { requestHeader } from '@review-assistant/shared/edge';
import { limiterKey } from './limiter-key.js';

export interface RateDecision {
  allowed: boolean;
  /** Whole seconds until one more request would be allowed (0 when allowed). */
  retryAfterSeconds: number;
}

/**
 * Per-key token buckets: `burst` requests at once, refilled at `perMinute`. The map is bounded
 * (least recently used keys are dropped) so a flood of addresses cannot grow memory.
 */
export class TokenBucketLimiter {
  private readonly buckets = new Map<string, { tokens: number; updatedMs: number }>();
  private readonly refillPerMs: number;

  constructor(
    private readonly perMinute: number,
    private readonly burst: number,
    private readonly now: () => number = Date.now,
    private readonly maxKeys = 50_000,
  ) {
    this.refillPerMs = perMinute / 60_000;
  }

  /**
   * Takes `cost` tokens (e.g. one per text of a batch). A cost above the burst is allowed from a
   * full bucket and leaves it in debt, so large requests still average out to `perMinute`.
   */
  /** Whether `take(key)` would be allowed now, without spending anything. */
  peek(key: string): RateDecision {
    const bucket = this.buckets.get(key);
    if (!bucket) return { allowed: true, retryAfterSeconds: 0 };
    const tokens = Math.min(this.burst, bucket.tokens + (this.now() - bucket.updatedMs) * this.refillPerMs);
    if (tokens >= 1) return { allowed: true, retryAfterSeconds: 0 };
    return { allowed: false, retryAfterSeconds: Math.max(1, Math.ceil((1 - tokens) / this.refillPerMs / 1000)) };
  }

  take(key: string, cost = 1): RateDecision {
    const now = this.now();
    const bucket = this.buckets.get(key) ?? { tokens: this.burst, updatedMs: now };
    bucket.tokens = Math.min(this.burst, bucket.tokens + (now - bucket.updatedMs) * this.refillPerMs);
    bucket.updatedMs = now;
    this.buckets.delete(key);
    this.buckets.set(key, bucket);
    if (this.buckets.size > this.maxKeys) {
      const oldest = this.buckets.keys().next();
      if (!oldest.done) this.buckets.delete(oldest.value);
    }
    const needed = Math.min(cost, this.burst);
    if (bucket.tokens >= needed) {
      bucket.tokens -= cost;
      return { allowed: true, retryAfterSeconds: 0 };
    }
    return { allowed: false, retryAfterSeconds: Math.max(1, Math.ceil((needed - bucket.tokens) / this.refillPerMs / 1000)) };
  }
}

/**
 * The key per-IP limits count a client under (`limiterKey`: an IPv6 /64, IPv4-mapped as IPv4) of the
 * viewer's address a trusted edge reported on this request (see `viewerAddressFromEdge`), else the
 * socket's peer, or with `trustProxy` (behind a load balancer that appends it) the last address in
 * X-Forwarded-For. Not for access decisions (loopback): the edge and the proxy name the address.
 */
export function clientIp(c: Context<GatewayEnv>, trustProxy: boolean): string {
  return limiterKey(c.get('viewerAddress') ?? clientAddress(trustProxy ? requestHeader(c, 'x-forwarded-for') : undefined, c.env?.incoming?.socket?.remoteAddress, trustProxy));
}

const LOOPBACK = /^(127\.\d{1,3}\.\d{1,3}\.\d{1,3}|::1|::ffff:127\.\d{1,3}\.\d{1,3}\.\d{1,3})$/;

/** 127.0.0.0/8 or ::1, also IPv4-mapped. */
export function isLoopbackAddress(address: string | undefined): boolean {
  return address !== undefined && LOOPBACK.test(address);
}

/** `clientIp` for a raw Node request (the WebSocket upgrade path runs before the app). */
export function incomingClientIp(incoming: IncomingMessage, trustProxy: boolean, edge?: TrustedEdge): string {
  const header = (name: string) => {
    const value = incoming.headers[name];
    return Array.isArray(value) ? value.join(',') : value;
  };
  return limiterKey(edge?.viewerAddress(header) ?? clientAddress(header('x-forwarded-for'), incoming.socket.remoteAddress, trustProxy));
}

function clientAddress(forwardedFor: string | undefined, remoteAddress: string | undefined, trustProxy: boolean): string {
  if (trustProxy) {
    const last = forwardedFor?.split(',').at(-1)?.trim();
    if (last) return last;
  }
  return remoteAddress ?? 'unknown';
}
