import type { RateDecision } from '../middleware/rate-limit.js';

/** What a route asks before doing work: may `key` (a client IP, an API key) spend `cost` now? */
export interface RateLimiter {
  take(key: string, cost?: number): RateDecision | Promise<RateDecision>;
}

/** One limit: its name (part of the shared bucket's key), refill per minute and burst. */
export interface RateLimitPolicy {
  name: string;
  perMinute: number;
  burst: number;
}

/**
 * Buckets shared by every gateway of a fleet. Same semantics as `TokenBucketLimiter`: `burst`
 * tokens at most, refilled at `perMinute`; a cost above the burst is allowed from a full bucket
 * and leaves it in debt.
 */
export interface RateLimitStore {
  readonly provider: string;
  take(policy: RateLimitPolicy, key: string, cost: number): Promise<RateDecision>;
  close(): Promise<void>;
}
