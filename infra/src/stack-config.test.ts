import { describe, expect, it } from 'vitest';
import { readStackConfig } from './stack-config.js';

const fromContext = (context: Record<string, unknown>) => readStackConfig((key) => context[key]);

describe('readStackConfig', () => {
  it('defaults to the Free Tier shape: one instance behind CloudFront on an Elastic IP, retained data, no paid extras', () => {
    expect(fromContext({})).toMatchObject({
      mode: 'single',
      ingress: 'cloudfront',
      edge: 'cloudfront',
      cloudFront: true,
      pointInTimeRecovery: false,
      pipeline: false,
      elasticIp: true,
      retainData: true,
      intentModelKey: 'intent/intent-model.bin.gz',
      releaseKey: 'releases/cloud-gateway.tgz',
      parameterPrefix: '/review-assistant',
      tableReadCapacity: 5,
      tableWriteCapacity: 5,
      logRetentionDays: 30,
    });
  });

  it('coerces command-line strings (-c mode=ha -c tableReadCapacity=10 -c pointInTimeRecovery=true)', () => {
    expect(fromContext({ mode: 'ha', tableReadCapacity: '10', pointInTimeRecovery: 'true', minInstances: '3' })).toMatchObject({
      ingress: 'alb',
      edge: 'cloudfront',
      mode: 'ha',
      pointInTimeRecovery: true,
      minInstances: 3,
      maxInstances: 4,
      tableReadCapacity: 10,
    });
  });

  it('terminates HTTPS at the ALB with a domain and a certificate, and serves plain HTTP only when asked', () => {
    expect(fromContext({ mode: 'ha', domainName: 'chat.example.com', certificateArn: 'arn:aws:acm:eu-west-1:123456789012:certificate/abc' }).edge).toBe('alb-https');
    expect(fromContext({ cloudFront: 'false' })).toMatchObject({ ingress: 'direct', edge: 'none' });
  });

  it('chooses Caddy when a domain is given without the ALB', () => {
    expect(fromContext({ domainName: 'chat.example.com' }).ingress).toBe('caddy');
  });

  it.each([
    [{ domainName: 'not a domain' }, 'context "domainName"'],
    [{ tableWriteCapacity: '100' }, 'context "tableWriteCapacity"'],
    [{ logRetentionDays: '10' }, 'context "logRetentionDays": expected one of'],
    [{ parameterPrefix: 'review-assistant' }, 'context "parameterPrefix"'],
    [{ intentModelKey: '/intent/model.json' }, 'context "intentModelKey"'],
    [{ certificateArn: 'arn:aws:acm:eu-west-1:123456789012:certificate/abc' }, 'context "certificateArn": needs mode=ha and domainName'],
    [{ mode: 'ha', minInstances: '4', maxInstances: '3' }, 'context "minInstances"'],
    [{ mode: 'ha', maxInstances: '6' }, 'context "maxInstances"'],
    [{ elasticIp: 'false' }, 'context "elasticIp": CloudFront needs the fixed address'],
    [{ githubRepository: 'not a repo' }, 'context "githubRepository"'],
    [{ mode: 'multi' }, 'context "mode"'],
  ])('rejects %j naming the key', (context, message) => {
    expect(() => fromContext(context)).toThrow(message);
  });
});
