import type { Logger } from 'pino';
import { TokenBucketLimiter, type RateDecision } from '../middleware/rate-limit.js';
import type { RateLimiter, RateLimitPolicy, RateLimitStore } from './rate-limiter.js';

/**
 * A limit that holds across every gateway of a fleet: this gateway's own token bucket first (a
 * client whose keep-alive connection sticks to one gateway is refused without a DynamoDB call),
 * then the shared bucket. When the shared store fails or is slow, the local decision stands:
 * limits degrade to per-gateway ones rather than refusing every client.
 */
export class SharedRateLimiter implements RateLimiter {
  private readonly local: TokenBucketLimiter;

  constructor(
    private readonly policy: RateLimitPolicy,
    private readonly store: RateLimitStore,
    private readonly logger?: Logger,
    now: () => number = Date.now,
  ) {
    this.local = new TokenBucketLimiter(policy.perMinute, policy.burst, now);
  }

  async take(key: string, cost = 1): Promise<RateDecision> {
    const local = this.local.take(key, cost);
    if (!local.allowed) return local;
    try {
      return await this.store.take(this.policy, key, cost);
    } catch (error) {
      this.logger?.warn({ err: error, limit: this.policy.name }, 'shared rate limit unavailable; using this gateway\'s own limit');
      return local;
    }
  }
}
