import type { WorkerHealth } from '@review-assistant/shared';
import { HeartbeatSender, heartbeatStatusFromHealth } from '../heartbeat/heartbeat-sender.js';
import { resolveWorkerId } from '../heartbeat/worker-id.js';
import { startInspectorServer } from '../inspector/inspector-server.js';
import type { InspectorServer } from '../inspector/inspector-server.js';
import { TrafficRecorder } from '../inspector/traffic-recorder.js';
import { checkOllamaExposure, enforceOllamaPrivacy } from '../security/ollama-exposure.js';
import type { OllamaExposureOptions } from '../security/ollama-exposure.js';
import { createTunnel } from '../tunnel/create-tunnel.js';
import type { NetworkingConfig } from './networking-config.js';
import type { NgrokModule } from '../tunnel/ngrok-tunnel.js';
import type { Tunnel } from '../tunnel/tunnel.js';

/** Any logger with pino's string methods. */
export interface NetworkingLogger {
  info(message: string): void;
  warn(message: string): void;
  error(message: string): void;
}

/** Builds the recorder whose middleware the worker app mounts first; it redacts every secret in config. */
export function createTrafficRecorder(config: Pick<NetworkingConfig, 'workerSharedSecret' | 'ngrokAuthtoken'>): TrafficRecorder {
  return new TrafficRecorder({ secrets: [config.workerSharedSecret, config.ngrokAuthtoken] });
}

export interface AttachNetworkingOptions {
  config: NetworkingConfig;
  /** Where the worker's HTTP server listens, e.g. `http://127.0.0.1:8787`. */
  localUrl: string;
  logger: NetworkingLogger;
  /** The worker's current health (the same body as `GET /v1/health`); heartbeats are built from it. */
  healthProvider: () => WorkerHealth | Promise<WorkerHealth>;
  /** The recorder mounted on the app (see `createTrafficRecorder`); no inspector without it. */
  recorder?: TrafficRecorder | undefined;
  /** Heartbeat worker id. @default `health.workerId` */
  workerId?: string | undefined;
  /** Replaces the tunnel chosen from config (tests). */
  tunnel?: Tunnel | undefined;
  /** Replaces `@ngrok/ngrok` (tests). */
  loadNgrok?: (() => Promise<NgrokModule>) | undefined;
  /** Skip the Ollama exposure probe (e.g. when the backend is offline and no Ollama is expected). @default false */
  skipOllamaCheck?: boolean | undefined;
  /** Replaces the machine's interface list and the TCP probe of the Ollama exposure check (tests). */
  ollamaExposure?: Pick<OllamaExposureOptions, 'interfaces' | 'probe'> | undefined;
  /** @default globalThis.fetch (heartbeats and replays) */
  fetch?: typeof fetch | undefined;
}

export interface Networking {
  /** The URL the gateway uses for this worker (ngrok URL, or the local/announced URL). */
  publicUrl: string;
  tunnel: Tunnel;
  /** null without GATEWAY_URL/WORKER_SHARED_SECRET. */
  heartbeats: HeartbeatSender | null;
  /** null when disabled or without a recorder. */
  inspectorUrl: string | null;
  /** Says goodbye to the gateway, closes the tunnel and the inspector. */
  stop(): Promise<void>;
}

/**
 * Starts everything that connects the worker to the outside: the Ollama exposure check, the
 * tunnel (ngrok with NGROK_AUTHTOKEN, else none), heartbeats to GATEWAY_URL carrying the current
 * tunnel URL (re-sent at once whenever it changes), and the loopback traffic inspector.
 * Throws when Ollama is exposed (unless allowed) or the tunnel fails for good (e.g. a bad token).
 */
export async function attachNetworking(options: AttachNetworkingOptions): Promise<Networking> {
  const { config, logger } = options;
  const log = (level: 'info' | 'warn' | 'error', message: string) => logger[level](message);

  if (!options.skipOllamaCheck) {
    enforceOllamaPrivacy(await checkOllamaExposure({ ...options.ollamaExposure, ollamaHost: config.ollamaHost }), {
      allowPublic: config.allowPublicOllama,
      log,
    });
  }

  const tunnel = options.tunnel ?? createTunnel(config, { ...(options.loadNgrok ? { loadNgrok: options.loadNgrok } : {}), log });
  if (tunnel.provider === 'direct') {
    logger.warn(
      'NGROK_AUTHTOKEN is not set: no tunnel. The gateway must reach this worker directly (same machine or private network); set NGROK_AUTHTOKEN to publish it (docs/TUNNEL.md).',
    );
  }
  const { publicUrl } = await tunnel.start(options.localUrl);
  logger.info(`worker reachable for the gateway at ${publicUrl}`);

  let heartbeats: HeartbeatSender | null = null;
  const unsubscribers: (() => void)[] = [];
  if (config.gatewayUrl && config.workerSharedSecret) {
    const explicitId = options.workerId;
    const workerId = explicitId ?? (await resolveWorkerId({ dataDir: config.dataDir }));
    heartbeats = new HeartbeatSender({
      gatewayUrl: config.gatewayUrl,
      secret: config.workerSharedSecret,
      intervalSeconds: config.heartbeatIntervalSeconds,
      url: () => tunnel.publicUrl,
      status: async () => {
        const health = await options.healthProvider();
        return heartbeatStatusFromHealth(health, explicitId ?? health.workerId ?? workerId);
      },
      log,
      ...(options.fetch ? { fetch: options.fetch } : {}),
    });
    const sender = heartbeats;
    unsubscribers.push(
      tunnel.onEvent((event) => {
        if (event.type === 'url') void sender.sendNow();
        if (event.type === 'disconnect') logger.warn(`tunnel down (${event.reason}); heartbeats pause until it is back`);
        if (event.type === 'fatal') logger.error(`tunnel gave up: ${event.error.message}`);
      }),
    );
    sender.start();
    logger.info(`heartbeats every ${config.heartbeatIntervalSeconds} s to ${new URL('/internal/workers/heartbeat', config.gatewayUrl).toString()}`);
  } else {
    logger.warn(
      config.gatewayUrl
        ? 'WORKER_SHARED_SECRET is not set: no heartbeats (they must be signed).'
        : `GATEWAY_URL is not set: no heartbeats. Point the gateway at this worker with WORKER_URLS=${publicUrl}, or set GATEWAY_URL.`,
    );
  }

  let inspector: InspectorServer | null = null;
  if (config.inspectorEnabled && options.recorder) {
    try {
      inspector = await startInspectorServer({
        recorder: options.recorder,
        workerUrl: options.localUrl,
        secret: config.workerSharedSecret ?? '',
        host: config.inspectorHost,
        port: config.inspectorPort,
        ...(options.fetch ? { fetch: options.fetch } : {}),
      });
      logger.info(`traffic inspector (this machine only): ${inspector.url}`);
    } catch (error) {
      // A busy port must not stop the worker; a non-loopback bind request is a config error.
      if (error instanceof Error && /not a loopback address/.test(error.message)) {
        await heartbeats?.stop({ goodbye: true });
        await tunnel.stop();
        throw error;
      }
      logger.warn(`traffic inspector not started: ${error instanceof Error ? error.message : String(error)}`);
    }
  }

  let stopped = false;
  return {
    publicUrl,
    tunnel,
    heartbeats,
    inspectorUrl: inspector?.url ?? null,
    async stop() {
      if (stopped) return;
      stopped = true;
      unsubscribers.forEach((unsubscribe) => unsubscribe());
      await heartbeats?.stop({ goodbye: true });
      await Promise.all([tunnel.stop(), inspector?.close()]);
    },
  };
}
