import type { Logger } from 'pino';
import { TokenBucketLimiter } from '../middleware/rate-limit.js';
import type { RateLimiter, RateLimitPolicy, RateLimitStore } from './rate-limiter.js';
import { SharedRateLimiter } from './shared-rate-limiter.js';

/**
 * A limiter for one policy: shared across the fleet when a store is configured
 * (`RATE_LIMIT_STORE=dynamodb`), otherwise this gateway's own token buckets.
 */
export function createLimiter(policy: RateLimitPolicy, store: RateLimitStore | undefined, logger?: Logger): RateLimiter {
  return store ? new SharedRateLimiter(policy, store, logger) : new TokenBucketLimiter(policy.perMinute, policy.burst);
}
