export interface TrafficPolicyOptions {
  /** CIDRs allowed to reach the tunnel, e.g. the gateway's public address `203.0.113.7/32`. Empty: anyone. */
  allowCidrs: string[];
  /** Requests per minute per client IP at the ngrok edge; 0 disables the limit. */
  rateLimitPerMinute: number;
}

/**
 * Builds the ngrok Traffic Policy document (JSON, which ngrok accepts like YAML) applied at the
 * edge, before a request costs this PC anything: `restrict-ips` checks the layer-4 source address
 * (never X-Forwarded-For), `rate-limit` uses a sliding window per client IP (`rate` must be a
 * multiple of 10 s, at least 60 s; https://ngrok.com/docs/traffic-policy/actions/rate-limit/).
 * Returns undefined when there is nothing to enforce.
 */
export function buildTrafficPolicy(options: TrafficPolicyOptions): string | undefined {
  const rules: unknown[] = [];
  if (options.allowCidrs.length > 0) {
    rules.push({
      name: 'gateway-only',
      actions: [{ type: 'restrict-ips', config: { enforce: true, allow: options.allowCidrs } }],
    });
  }
  if (options.rateLimitPerMinute > 0) {
    rules.push({
      name: 'rate-limit',
      actions: [
        {
          type: 'rate-limit',
          config: {
            name: 'worker requests per client IP',
            algorithm: 'sliding_window',
            capacity: options.rateLimitPerMinute,
            rate: '60s',
            bucket_key: ['conn.client_ip'],
          },
        },
      ],
    });
  }
  if (rules.length === 0) return undefined;
  return JSON.stringify({ on_http_request: rules });
}
