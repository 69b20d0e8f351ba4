import { isIP } from 'node:net';
import type { MiddlewareHandler } from 'hono';
import { requestHeader } from '@review-assistant/shared/edge';
import type { GatewayEnv } from './gateway-env.js';
import { SecretSet } from './token-auth.js';

/** Header in which the edge (CloudFront's origin custom header) proves it sent the request. */
export const EDGE_SECRET_HEADER = 'x-origin-verify';

/**
 * Header CloudFront sets to the viewer's address and source port: `198.51.100.10:46532`, or for
 * IPv6 the address unbracketed followed by the port (`2001:db8::1:46532`). CloudFront sends it only
 * when the behaviour's origin request policy includes it (AllViewerAndCloudFrontHeaders-2022-06 does).
 */
export const VIEWER_ADDRESS_HEADER = 'cloudfront-viewer-address';

/**
 * The address part of a `CloudFront-Viewer-Address` value, or undefined when it is not one
 * `<ip>:<port>`. CloudFront sends a single value; more than one (a viewer's own copy that reached
 * the origin beside the edge's) is not trusted at all, and the request is keyed as without the header.
 */
export function parseViewerAddress(value: string | undefined): string | undefined {
  const single = value?.trim();
  if (!single || single.includes(',')) return undefined;
  const colon = single.lastIndexOf(':');
  if (colon <= 0 || !/^\d{1,5}$/.test(single.slice(colon + 1))) return undefined;
  let address = single.slice(0, colon);
  if (address.startsWith('[') && address.endsWith(']')) address = address.slice(1, -1);
  return isIP(address) === 0 ? undefined : address;
}

/**
 * The edge in front of the gateway (CloudFront), recognised by the secret it adds to every origin
 * request in `X-Origin-Verify`: `EDGE_SECRET`, and during a rotation also `EDGE_SECRET_PREVIOUS`
 * (edge locations pick up a new header value over several minutes). Headers only the edge should
 * set (the viewer's address, the viewer's protocol) count only on requests that carry one of them.
 */
export class TrustedEdge {
  private readonly secrets: SecretSet;

  constructor(secrets: readonly string[]) {
    this.secrets = new SecretSet(secrets);
  }

  /** Whether the request carries one of the edge's secrets (compared in constant time). */
  sent(secretHeader: string | undefined): boolean {
    return secretHeader !== undefined && this.secrets.match(secretHeader) !== undefined;
  }

  /** The viewer's address the edge reports, only when the request carries the edge's secret. */
  viewerAddress(read: (name: string) => string | undefined): string | undefined {
    const reported = read(VIEWER_ADDRESS_HEADER);
    if (reported === undefined || !this.sent(read(EDGE_SECRET_HEADER))) return undefined;
    return parseViewerAddress(reported);
  }
}

/**
 * Puts the viewer's address that a trusted edge reports on the context (`viewerAddress`), where
 * `clientIp` prefers it: behind CloudFront and a load balancer the socket peer is the ALB and the
 * last X-Forwarded-For entry is a CloudFront edge shared by many viewers. A request without the
 * edge's secret (a direct caller spoofing the header) is keyed as before.
 */
export function viewerAddressFromEdge(edge: TrustedEdge): MiddlewareHandler<GatewayEnv> {
  return async (c, next) => {
    const address = edge.viewerAddress((name) => requestHeader(c, name));
    if (address !== undefined) c.set('viewerAddress', address);
    await next();
  };
}
