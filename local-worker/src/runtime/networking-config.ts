import { isIP } from 'node:net';
import { z } from 'zod';
import { configEntry, envBoolean, envList, envPort, environment, loadConfig } from '@review-assistant/shared';
import type { ConfigOf, ConfigOverrides } from '@review-assistant/shared';

function isCidr(value: string): boolean {
  const [address, prefix, ...rest] = value.split('/');
  if (rest.length > 0 || !address) return false;
  const family = isIP(address);
  if (family === 0) return false;
  if (prefix === undefined) return true;
  const bits = Number(prefix);
  return /^\d{1,3}$/.test(prefix) && bits >= 0 && bits <= (family === 4 ? 32 : 128);
}

/**
 * Configuration of the worker's networking: tunnel, heartbeats and inspector. Kept apart from the
 * worker's core config so the tunnel/trust module owns its variables; read once at start-up.
 */
export const networkingConfigSpec = {
  workerSharedSecret: environment.workerSharedSecret,
  gatewayUrl: environment.gatewayUrl,
  ngrokAuthtoken: environment.ngrokAuthtoken,
  ngrokDomain: environment.ngrokDomain,
  ollamaHost: environment.ollamaHost,
  allowPublicOllama: environment.allowPublicOllama,
  dataDir: environment.dataDir,
  ngrokAllowCidrs: configEntry({
    env: 'NGROK_ALLOW_CIDRS',
    schema: envList.refine((items) => items.every(isCidr), 'expected comma-separated IP addresses or CIDRs'),
    default: '',
    example: '203.0.113.7/32',
    description: 'Only these source addresses may use the tunnel (the gateway\'s public IP); empty: anyone (signatures still apply).',
  }),
  ngrokRateLimitPerMinute: configEntry({
    env: 'NGROK_RATE_LIMIT_PER_MINUTE',
    schema: z.coerce.number().int().min(0, 'expected 0 (off) or a positive integer').max(2_000_000_000),
    default: 0,
    example: '120',
    description: 'Requests per minute per client IP allowed at the ngrok edge; 0: no edge rate limit.',
  }),
  workerPublicUrl: configEntry({
    env: 'WORKER_PUBLIC_URL',
    schema: z.url('expected a URL such as http://worker:8787').optional(),
    example: 'http://worker:8787',
    description: 'URL announced in heartbeats when there is no tunnel (e.g. the compose service name); unset: the local URL.',
  }),
  heartbeatIntervalSeconds: configEntry({
    env: 'HEARTBEAT_INTERVAL_SECONDS',
    schema: z.coerce.number().positive('expected seconds > 0').max(300),
    default: 5,
    example: '5',
    description: 'Seconds between heartbeats to GATEWAY_URL; the gateway expires a worker after three missed ones.',
  }),
  inspectorEnabled: configEntry({
    env: 'INSPECTOR_ENABLED',
    schema: envBoolean,
    default: true,
    example: 'false',
    description: 'Serve the local traffic inspector.',
  }),
  inspectorHost: configEntry({
    env: 'INSPECTOR_HOST',
    schema: z.string().min(1),
    default: '127.0.0.1',
    example: '127.0.0.1',
    description: 'Inspector bind address; only loopback addresses are accepted.',
  }),
  inspectorPort: configEntry({
    env: 'INSPECTOR_PORT',
    schema: envPort,
    default: 4040,
    example: '4040',
    description: 'Inspector port (0: any free port).',
  }),
} as const;

export type NetworkingConfig = ConfigOf<typeof networkingConfigSpec>;

export function loadNetworkingConfig(
  options: { overrides?: ConfigOverrides<typeof networkingConfigSpec>; env?: Record<string, string | undefined> } = {},
): NetworkingConfig {
  return loadConfig(networkingConfigSpec, options);
}
