import type { MiddlewareHandler } from 'hono';
import { AppError } from '@review-assistant/shared';
import type { GatewayEnv } from './gateway-env.js';
import { requireToken, SecretSet } from './token-auth.js';

/**
 * Requires one of `keys` as `Authorization: Bearer <key>` or `X-API-Key: <key>` (`requireToken`:
 * constant time, failed attempts limited per client IP). With no keys configured the endpoints are
 * closed (403) rather than open. `c.var.apiKeyId` names the key by a digest prefix, never the key.
 */
export function apiKeyAuth(keys: readonly string[]): MiddlewareHandler<GatewayEnv> {
  const secrets = new SecretSet(keys);
  return async (c, next) => {
    if (secrets.size === 0) {
      throw new AppError('forbidden', 'API access is disabled on this gateway: no API_KEYS are configured');
    }
    c.set('apiKeyId', requireToken(c, { secrets, alternateHeader: 'x-api-key', realm: 'api', missing: 'missing API key: send Authorization: Bearer <key> or X-API-Key: <key>', invalid: 'invalid API key' }));
    await next();
  };
}
