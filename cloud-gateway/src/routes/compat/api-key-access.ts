import type { MiddlewareHandler } from 'hono';
import { AppError } from '@review-assistant/shared';
import { apiKeyAuth } from '../../middleware/api-key.js';
import type { GatewayEnv } from '../../middleware/gateway-env.js';
import type { RateLimiter } from '../../limits/rate-limiter.js';

/**
 * `Authorization: Bearer <one of API_KEYS>`, then the caller's key's own token bucket: 429 with
 * `Retry-After` when it is empty. One bucket per key, shared by the OpenAI and Ollama APIs.
 */
export function apiKeyAccess(keys: readonly string[], limiter: RateLimiter): MiddlewareHandler<GatewayEnv> {
  const auth = apiKeyAuth(keys);
  return (c, next) =>
    auth(c, async () => {
      const decision = await limiter.take(c.get('apiKeyId'));
      if (!decision.allowed) {
        c.header('Retry-After', String(decision.retryAfterSeconds));
        throw new AppError('rate_limited', `too many requests for this API key; retry in ${decision.retryAfterSeconds} s`);
      }
      await next();
    });
}
