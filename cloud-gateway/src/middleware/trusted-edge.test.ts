import { afterEach, describe, expect, it } from 'vitest';
import { createTestGateway, type TestGateway } from '../testing/gateway-harness.js';
import { parseViewerAddress, TrustedEdge } from './trusted-edge.js';

const EDGE_SECRET = 'edge-secret-0123456789abcdef-random';
const PREVIOUS_EDGE_SECRET = 'edge-secret-before-the-rotation-xyz';
/** What the gateway sees behind CloudFront and the ALB: the last X-Forwarded-For entry is the CloudFront edge. */
const CLOUDFRONT_EDGE = '130.176.12.34';

describe('parseViewerAddress', () => {
  it('takes the address of CloudFront-Viewer-Address values, IPv4 and unbracketed IPv6', () => {
    expect(parseViewerAddress('198.51.100.10:46532')).toBe('198.51.100.10');
    expect(parseViewerAddress('2001:db8:85a3::8a2e:370:7334:46532')).toBe('2001:db8:85a3::8a2e:370:7334');
    expect(parseViewerAddress('[2001:db8::1]:443')).toBe('2001:db8::1');
  });

  it('trusts no value of a multi-valued header (a viewer smuggled its own copy past the edge)', () => {
    expect(parseViewerAddress('203.0.113.9:1, 198.51.100.10:46532')).toBeUndefined();
    expect(parseViewerAddress('198.51.100.10:46532,')).toBeUndefined();
  });

  it('refuses anything that is not <ip>:<port>', () => {
    for (const value of [undefined, '', '198.51.100.10', 'localhost:80', '198.51.100.10:http', '999.1.1.1:80', ':80', 'x'.repeat(300)]) {
      expect(parseViewerAddress(value), String(value)).toBeUndefined();
    }
  });
});

describe('TrustedEdge', () => {
  const edge = new TrustedEdge([EDGE_SECRET, PREVIOUS_EDGE_SECRET]);
  const headers = (values: Record<string, string>) => (name: string) => values[name];

  it('reports the viewer address only on requests carrying a current or the previous secret', () => {
    expect(edge.viewerAddress(headers({ 'cloudfront-viewer-address': '198.51.100.10:1', 'x-origin-verify': EDGE_SECRET }))).toBe('198.51.100.10');
    expect(edge.viewerAddress(headers({ 'cloudfront-viewer-address': '198.51.100.10:1', 'x-origin-verify': PREVIOUS_EDGE_SECRET }))).toBe('198.51.100.10');
    expect(edge.viewerAddress(headers({ 'cloudfront-viewer-address': '198.51.100.10:1' }))).toBeUndefined();
    expect(edge.viewerAddress(headers({ 'cloudfront-viewer-address': '198.51.100.10:1', 'x-origin-verify': `${EDGE_SECRET}x` }))).toBeUndefined();
  });
});

describe('per-IP limits behind CloudFront and the load balancer (mode=ha)', () => {
  let gateway: TestGateway | undefined;
  afterEach(async () => {
    await gateway?.close();
    gateway = undefined;
  });

  /** The real app on a socket, as on an ha instance: TRUST_PROXY, EDGE_SECRET, a small intent budget. */
  async function start() {
    gateway = createTestGateway({ settings: { trustProxy: true, edgeSecrets: [EDGE_SECRET], intentRateLimitPerMinute: 1, intentRateLimitBurst: 2 } });
    const url = await gateway.listen();
    return (headers: Record<string, string>) =>
      fetch(`${url}/api/intent`, {
        method: 'POST',
        headers: { 'content-type': 'application/json', 'x-forwarded-for': CLOUDFRONT_EDGE, ...headers },
        body: JSON.stringify({ text: 'any good ramen?' }),
      }).then((response) => response.status);
  }

  it('gives two viewers behind the same CloudFront edge separate buckets when the request carries the edge secret', async () => {
    const intent = await start();
    const viewer = (address: string) => ({ 'cloudfront-viewer-address': address, 'x-origin-verify': EDGE_SECRET });
    expect(await intent(viewer('198.51.100.10:40001'))).toBe(200);
    expect(await intent(viewer('198.51.100.10:40002'))).toBe(200);
    expect(await intent(viewer('198.51.100.10:40003'))).toBe(429);
    // another viewer, same edge address in X-Forwarded-For: its own bucket
    expect(await intent(viewer('203.0.113.77:51000'))).toBe(200);
    expect(await intent(viewer('[2001:db8::5]:51000'))).toBe(200);
  });

  it('counts the IPv6 viewers of one /64 as one client, and IPv4-mapped viewers as their IPv4 address', async () => {
    const intent = await start();
    const viewer = (address: string) => ({ 'cloudfront-viewer-address': address, 'x-origin-verify': EDGE_SECRET });
    expect(await intent(viewer('2001:db8:1:2::1:40001'))).toBe(200);
    expect(await intent(viewer('2001:db8:1:2:aaaa:bbbb:cccc:dddd:40002'))).toBe(200);
    // a new address in the same /64 does not get a new budget
    expect(await intent(viewer('[2001:db8:1:2::99]:40003'))).toBe(429);
    // the next /64 does
    expect(await intent(viewer('2001:db8:1:3::1:40004'))).toBe(200);
    expect(await intent(viewer('198.51.100.20:1'))).toBe(200);
    expect(await intent(viewer('::ffff:198.51.100.20:2'))).toBe(200);
    expect(await intent(viewer('198.51.100.20:3'))).toBe(429);
  });

  it('keys a request whose CloudFront-Viewer-Address has more than one value as if it had none', async () => {
    const intent = await start();
    // each request claims another viewer after a comma: all of them count against the edge's key
    const smuggled = (index: number) => ({ 'cloudfront-viewer-address': `198.51.100.${index}:1, 203.0.113.${index}:2`, 'x-origin-verify': EDGE_SECRET });
    expect(await intent(smuggled(1))).toBe(200);
    expect(await intent(smuggled(2))).toBe(200);
    expect(await intent(smuggled(3))).toBe(429);
  });

  it('ignores a CloudFront-Viewer-Address sent without the edge secret (a direct caller cannot pick its bucket)', async () => {
    const intent = await start();
    const spoofed = (address: string, secret?: string) => ({ 'cloudfront-viewer-address': address, ...(secret ? { 'x-origin-verify': secret } : {}) });
    expect(await intent(spoofed('198.51.100.1:1'))).toBe(200);
    expect(await intent(spoofed('198.51.100.2:1'))).toBe(200);
    // a new made-up viewer address per request does not reset the caller's budget
    expect(await intent(spoofed('198.51.100.3:1'))).toBe(429);
    expect(await intent(spoofed('198.51.100.4:1', 'a-guessed-secret-of-some-length'))).toBe(429);
  });
});
