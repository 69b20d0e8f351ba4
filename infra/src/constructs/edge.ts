import { Duration, aws_cloudfront as cloudfront, aws_cloudfront_origins as origins } from 'aws-cdk-lib';
import { Construct } from 'constructs';
import { EDGE_SECRET_HEADER } from './compute.js';

/**
 * The longest silence CloudFront waits for from the origin: 60 s is the maximum without a quota
 * increase. The gateway's SSE keep-alive comments keep every stream well under it.
 */
export const ORIGIN_READ_TIMEOUT = Duration.seconds(60);

export interface GatewayEdgeProps {
  /** DNS name CloudFront connects to: the instance's public name or the ALB's. */
  originDomainName: string;
  /** Sent to the origin in X-Origin-Verify: the gateway (and the ALB) trust the edge only with it. */
  edgeSecret: string;
}

/**
 * HTTPS for everyone without a domain: a CloudFront distribution (Free Tier: 1 TB out and 10 M
 * requests a month) in front of the gateway, on CloudFront's own *.cloudfront.net certificate.
 * Nothing dynamic is cached: the API, the chat streams (SSE) and the WebSocket pass through
 * (every viewer header, including the WebSocket upgrade, goes to the origin). Only the chat UI's
 * hashed static files and the docs' assets use the cache. HTTP viewers are redirected to HTTPS.
 */
export class GatewayEdge extends Construct {
  readonly distribution: cloudfront.Distribution;

  constructor(scope: Construct, id: string, props: GatewayEdgeProps) {
    super(scope, id);
    const origin = new origins.HttpOrigin(props.originDomainName, {
      protocolPolicy: cloudfront.OriginProtocolPolicy.HTTP_ONLY,
      httpPort: 80,
      readTimeout: ORIGIN_READ_TIMEOUT,
      keepaliveTimeout: Duration.seconds(60),
      customHeaders: { [EDGE_SECRET_HEADER]: props.edgeSecret },
    });
    const passThrough: cloudfront.BehaviorOptions = {
      origin,
      viewerProtocolPolicy: cloudfront.ViewerProtocolPolicy.REDIRECT_TO_HTTPS,
      allowedMethods: cloudfront.AllowedMethods.ALLOW_ALL,
      cachePolicy: cloudfront.CachePolicy.CACHING_DISABLED,
      // every viewer header (Authorization, WebSocket upgrade) plus CloudFront's own headers up to
      // June 2022, among them CloudFront-Forwarded-Proto and CloudFront-Viewer-Address (the
      // viewer's IP:port, which the gateway's per-IP limits use on requests with the edge secret)
      originRequestPolicy: cloudfront.OriginRequestPolicy.ALL_VIEWER_AND_CLOUDFRONT_2022,
      // compression would make CloudFront buffer an event stream
      compress: false,
    };
    const staticFiles: cloudfront.BehaviorOptions = {
      origin,
      viewerProtocolPolicy: cloudfront.ViewerProtocolPolicy.REDIRECT_TO_HTTPS,
      allowedMethods: cloudfront.AllowedMethods.ALLOW_GET_HEAD,
      cachePolicy: cloudfront.CachePolicy.CACHING_OPTIMIZED,
      compress: true,
    };
    this.distribution = new cloudfront.Distribution(this, 'Distribution', {
      comment: 'Review assistant gateway (HTTPS edge)',
      defaultBehavior: passThrough,
      additionalBehaviors: { '/ui/*': staticFiles, '/docs/assets/*': staticFiles },
      priceClass: cloudfront.PriceClass.PRICE_CLASS_100,
      httpVersion: cloudfront.HttpVersion.HTTP2_AND_3,
      minimumProtocolVersion: cloudfront.SecurityPolicyProtocol.TLS_V1_2_2021,
    });
  }
}
