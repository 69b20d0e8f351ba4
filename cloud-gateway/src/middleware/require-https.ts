import type { MiddlewareHandler } from 'hono';
import { AppError } from '@review-assistant/shared';
import { requestHeader } from '@review-assistant/shared/edge';
import type { GatewayEnv } from './gateway-env.js';
import { isLoopbackAddress } from './rate-limit.js';
import { EDGE_SECRET_HEADER, type TrustedEdge } from './trusted-edge.js';

/** How the gateway decides that a request reached the edge over HTTPS. */
export interface HttpsPolicy {
  /** Refuse the protected routes unless they came over HTTPS (`REQUIRE_HTTPS`). */
  required: boolean;
  /** Header in which the edge reports the viewer's protocol (`FORWARDED_PROTO_HEADER`). */
  forwardedProtoHeader: string;
  /** Read the header at all (`TRUST_PROXY`: the gateway sits behind an edge). */
  trustProxy: boolean;
}

/**
 * Routes that carry credentials (admin token, API keys, metrics token) or a worker's tunnel URL.
 * The chat UI and the public chat/intent API stay reachable over plain HTTP (the edge redirects
 * browsers to HTTPS anyway).
 */
const PROTECTED = /^\/(admin|metrics|internal|v1|ollama|api\/(embed|retrieve|generate))(\/|$)/;

/**
 * Refuses credential-bearing routes that did not arrive over HTTPS. A request counts as HTTPS when
 * its own socket is TLS, when it comes from loopback (a local TLS proxy such as Caddy, or a
 * developer), or when the trusted edge says so in its forwarded-protocol header. The header is read
 * only behind a proxy and, with an `edge`, only on requests that carry its secret, so a
 * client cannot claim HTTPS by sending the header itself.
 */
export function requireHttps(policy: HttpsPolicy, edge?: TrustedEdge): MiddlewareHandler<GatewayEnv> {
  // with an edge secret (`EDGE_SECRET`), the header counts only on requests that carry it
  const fromEdge = (given: string | undefined) => edge === undefined || edge.sent(given);
  return async (c, next) => {
    if (!policy.required || !PROTECTED.test(c.req.path)) return next();
    const socket = c.env?.incoming?.socket;
    const encrypted = socket !== undefined && 'encrypted' in socket && socket.encrypted === true;
    if (encrypted || isLoopbackAddress(socket?.remoteAddress)) return next();
    if (policy.trustProxy && fromEdge(requestHeader(c, EDGE_SECRET_HEADER))) {
      // an edge appends its own value; the last one is the edge's
      const protocol = requestHeader(c, policy.forwardedProtoHeader)?.split(',').at(-1)?.trim().toLowerCase();
      if (protocol === 'https') return next();
    }
    throw new AppError('forbidden', 'this endpoint is served over HTTPS only; use the https:// address');
  };
}
