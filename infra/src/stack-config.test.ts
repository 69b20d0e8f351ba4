import { describe, expect, it } from 'vitest';
import { readStackConfig } from './stack-config.js';

const fromContext = (context: Record<string, unknown>) => readStackConfig((key) => context[key]);

describe('readStackConfig', () => {
  it('defaults to the Free Tier shape: no ALB, direct HTTP on an Elastic IP, retained data', () => {
    expect(fromContext({})).toMatchObject({
      ingress: 'direct',
      alb: false,
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

  it('coerces command-line strings (-c alb=true -c tableReadCapacity=10)', () => {
    expect(fromContext({ alb: 'true', tableReadCapacity: '10', elasticIp: 'false' })).toMatchObject({
      ingress: 'alb',
      alb: true,
      elasticIp: false,
      tableReadCapacity: 10,
    });
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
    [{ certificateArn: 'arn:aws:acm:eu-west-1:123456789012:certificate/abc' }, 'context "certificateArn" needs alb=true'],
  ])('rejects %j naming the key', (context, message) => {
    expect(() => fromContext(context)).toThrow(message);
  });
});
