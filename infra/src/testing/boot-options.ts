import { gatewaySecretParameters } from '../constructs/identity.js';
import type { IngressMode } from '../stack-config.js';
import type { GatewayBootOptions } from '../user-data.js';

/**
 * Boot options as the stack renders them for an instance with `ingress` (the stack's table, log
 * group, namespace and secret parameter names, with the edge secret behind CloudFront), for tests
 * of the boot script; `extra` overrides.
 */
export function bootOptions(ingress: IngressMode, extra: Partial<GatewayBootOptions> = {}): GatewayBootOptions {
  return {
    region: 'eu-west-1',
    bucketName: 'artifacts-bucket',
    releaseKey: 'releases/cloud-gateway.tgz',
    intentModelKey: 'intent/intent-model.bin.gz',
    tableName: 'interactions',
    logGroupName: '/review-assistant/gateway',
    metricsNamespace: 'ReviewAssistant/Gateway',
    secretParameters: gatewaySecretParameters('/review-assistant', ingress === 'cloudfront'),
    ingress,
    host: ingress === 'caddy' ? '127.0.0.1' : '0.0.0.0',
    port: ingress === 'direct' ? 80 : 8080,
    workerUrls: '',
    caddyVersion: '2.10.2',
    ...extra,
  };
}
