import { DirectTunnel } from './direct-tunnel.js';
import { NgrokTunnel } from './ngrok-tunnel.js';
import type { NgrokModule } from './ngrok-tunnel.js';
import type { NetworkingConfig } from '../runtime/networking-config.js';
import { buildTrafficPolicy } from './traffic-policy.js';
import type { Tunnel } from './tunnel.js';

/** The one place that picks the tunnel: ngrok with a token, else direct. */
export function createTunnel(
  config: Pick<NetworkingConfig, 'ngrokAuthtoken' | 'ngrokDomain' | 'ngrokAllowCidrs' | 'ngrokRateLimitPerMinute' | 'workerPublicUrl'>,
  options: { loadNgrok?: () => Promise<NgrokModule>; log?: (level: 'info' | 'warn' | 'error', message: string) => void } = {},
): Tunnel {
  if (!config.ngrokAuthtoken) return new DirectTunnel({ announceUrl: config.workerPublicUrl });
  return new NgrokTunnel({
    authtoken: config.ngrokAuthtoken,
    domain: config.ngrokDomain,
    trafficPolicy: buildTrafficPolicy({ allowCidrs: config.ngrokAllowCidrs, rateLimitPerMinute: config.ngrokRateLimitPerMinute }),
    ...(options.loadNgrok ? { loadNgrok: options.loadNgrok } : {}),
    ...(options.log ? { log: options.log } : {}),
  });
}
