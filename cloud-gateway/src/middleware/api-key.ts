import { createHash, timingSafeEqual } from 'node:crypto';
import type { MiddlewareHandler } from 'hono';
import type { GatewayEnv } from './gateway-env.js';
import { AppError } from '@review-assistant/shared';

const digest = (value: string) => createHash('sha256').update(value).digest();

/**
 * Requires one of `keys` as `Authorization: Bearer <key>` or `X-API-Key: <key>`. With no keys
 * configured the endpoints are closed (403) rather than open. Keys are compared as SHA-256 digests
 * in constant time and never logged; `c.var.apiKeyId` names the key by a digest prefix.
 */
export function apiKeyAuth(keys: readonly string[]): MiddlewareHandler<GatewayEnv> {
  const digests = keys.map(digest);
  return async (c, next) => {
    if (digests.length === 0) {
      throw new AppError('forbidden', 'API access is disabled on this gateway: no API_KEYS are configured');
    }
    const authorization = c.req.header('authorization');
    const bearer = authorization?.match(/^Bearer\s+(.+)$/i)?.[1]?.trim();
    const given = bearer ?? c.req.header('x-api-key')?.trim();
    if (!given) {
      throw new AppError('unauthorized', 'missing API key: send Authorization: Bearer <key> or X-API-Key: <key>');
    }
    const givenDigest = digest(given);
    let match = false;
    for (const candidate of digests) match = timingSafeEqual(candidate, givenDigest) || match;
    if (!match) throw new AppError('unauthorized', 'invalid API key');
    c.set('apiKeyId', givenDigest.subarray(0, 8).toString('hex'));
    await next();
  };
}
