import { ExponentialBackoff, halfJitterGenerator } from 'cockatiel';
import type { IBackoff } from 'cockatiel';
import { TunnelError, classifyNgrokError, redactToken } from './ngrok-errors.js';
import { TunnelEvents } from './tunnel.js';
import type { Tunnel, TunnelEvent } from './tunnel.js';

/** The subset of `@ngrok/ngrok`'s `forward()` config this tunnel sets. */
export interface NgrokForwardConfig {
  addr: string;
  authtoken: string;
  domain?: string;
  traffic_policy?: string;
  force_new_session?: boolean;
  session_metadata?: string;
  /** `closed` when the session drops, `connected` when the SDK re-established it. */
  onStatusChange?: (status: string) => void;
}

/** The subset of `@ngrok/ngrok`'s `Listener` this tunnel uses. */
export interface NgrokListener {
  url(): string | null;
  close(): Promise<void>;
}

/** The subset of the `@ngrok/ngrok` module this tunnel uses; tests inject a fake. */
export interface NgrokModule {
  forward(config: NgrokForwardConfig): Promise<NgrokListener>;
}

export interface NgrokTunnelOptions {
  authtoken: string;
  /** Static domain, e.g. `my-worker.ngrok-free.app`. @default a random ngrok URL */
  domain?: string | undefined;
  /** Traffic Policy document (see `buildTrafficPolicy`). */
  trafficPolicy?: string | undefined;
  /** @default `() => import('@ngrok/ngrok')` */
  loadNgrok?: () => Promise<NgrokModule>;
  /** First retry delay. @default 1000 */
  initialDelayMs?: number;
  /** Longest retry delay. @default 60000 */
  maxDelayMs?: number;
  /**
   * How long the SDK may try to re-establish a dropped session on its own before this tunnel
   * closes the listener and starts a new session. @default 15000
   */
  reconnectGraceMs?: number;
  /** @default setTimeout-based, cancelled by stop() */
  sleep?: (ms: number, signal: AbortSignal) => Promise<void>;
  /** Receives every event with a log-ready message (the token is never in it). */
  log?: (level: 'info' | 'warn' | 'error', message: string) => void;
}

function defaultSleep(ms: number, signal: AbortSignal): Promise<void> {
  return new Promise((resolve, reject) => {
    if (signal.aborted) return reject(signal.reason);
    const timer = setTimeout(() => {
      signal.removeEventListener('abort', onAbort);
      resolve();
    }, ms);
    const onAbort = () => {
      clearTimeout(timer);
      reject(signal.reason);
    };
    signal.addEventListener('abort', onAbort, { once: true });
  });
}

async function loadRealNgrok(): Promise<NgrokModule> {
  const ngrok = await import('@ngrok/ngrok');
  return { forward: (config) => ngrok.forward(config) };
}

/**
 * Publishes the worker through ngrok with `@ngrok/ngrok` `forward()`. Connection failures are
 * retried with exponential backoff and bounded jitter (cockatiel's half-jitter: attempt n waits
 * between d/2 and d, d = initial·2ⁿ capped at max), so reconnecting workers do not stampede.
 * Fatal errors (bad token, domain not yours) stop the loop with a clear message.
 */
export class NgrokTunnel implements Tunnel {
  readonly provider = 'ngrok';
  private url: string | null = null;
  private listener: NgrokListener | null = null;
  private localUrl: string | null = null;
  private readonly events = new TunnelEvents();
  private readonly stopController = new AbortController();
  private graceTimer: NodeJS.Timeout | null = null;
  private reconnecting: Promise<void> | null = null;
  private ngrok: NgrokModule | null = null;

  constructor(private readonly options: NgrokTunnelOptions) {
    if (!options.authtoken) throw new TunnelError('NGROK_AUTHTOKEN is empty', 'config', false);
  }

  get publicUrl(): string | null {
    return this.url;
  }

  onEvent(listener: (event: TunnelEvent) => void): () => void {
    return this.events.on(listener);
  }

  async start(localUrl: string): Promise<{ publicUrl: string }> {
    this.localUrl = localUrl;
    this.ngrok ??= await (this.options.loadNgrok ?? loadRealNgrok)();
    await this.connectWithBackoff(false);
    if (this.url === null) throw new TunnelError('ngrok tunnel stopped before it connected', 'stopped', false);
    return { publicUrl: this.url };
  }

  async stop(): Promise<void> {
    this.stopController.abort(new TunnelError('tunnel stopped', 'stopped', false));
    if (this.graceTimer) clearTimeout(this.graceTimer);
    this.url = null;
    const listener = this.listener;
    this.listener = null;
    if (listener) await listener.close().catch(() => undefined);
  }

  private log(level: 'info' | 'warn' | 'error', message: string): void {
    this.options.log?.(level, redactToken(message, this.options.authtoken));
  }

  private async connectWithBackoff(forceNewSession: boolean): Promise<void> {
    const backoffFactory = new ExponentialBackoff({
      generator: halfJitterGenerator,
      initialDelay: this.options.initialDelayMs ?? 1000,
      maxDelay: this.options.maxDelayMs ?? 60_000,
    });
    let backoff: IBackoff<unknown> = backoffFactory.next();
    const sleep = this.options.sleep ?? defaultSleep;
    for (let attempt = 1; !this.stopController.signal.aborted; attempt += 1) {
      try {
        await this.connectOnce(forceNewSession || attempt > 1);
        return;
      } catch (error) {
        const failure = error instanceof TunnelError ? error : classifyNgrokError(error);
        if (!failure.retryable || this.stopController.signal.aborted) {
          if (failure.code !== 'stopped') {
            this.log('error', failure.message);
            this.events.emit({ type: 'fatal', error: failure });
          }
          throw failure;
        }
        const delayMs = backoff.duration;
        backoff = backoff.next(undefined);
        this.log('warn', `${failure.message}; retrying in ${(delayMs / 1000).toFixed(1)} s (attempt ${attempt})`);
        this.events.emit({ type: 'retry', attempt, delayMs, reason: failure.message });
        try {
          await sleep(delayMs, this.stopController.signal);
        } catch {
          return;
        }
      }
    }
  }

  private async connectOnce(forceNewSession: boolean): Promise<void> {
    if (!this.ngrok || !this.localUrl) throw new TunnelError('tunnel not started', 'stopped', false);
    let created: NgrokListener | undefined;
    const listener = await this.ngrok.forward({
      addr: this.localUrl,
      authtoken: this.options.authtoken,
      ...(this.options.domain ? { domain: this.options.domain } : {}),
      ...(this.options.trafficPolicy ? { traffic_policy: this.options.trafficPolicy } : {}),
      ...(forceNewSession ? { force_new_session: true } : {}),
      onStatusChange: (status) => this.onStatusChange(created, status),
    });
    created = listener;
    const url = listener.url();
    if (!url) {
      await listener.close().catch(() => undefined);
      throw new TunnelError('ngrok returned a listener without a URL', 'no_url', true);
    }
    if (this.stopController.signal.aborted) {
      await listener.close().catch(() => undefined);
      return;
    }
    this.listener = listener;
    this.url = url;
    this.log('info', `ngrok tunnel up: ${url} -> ${this.localUrl}`);
    this.events.emit({ type: 'url', url });
  }

  private onStatusChange(listener: NgrokListener | undefined, status: string): void {
    if (this.stopController.signal.aborted || (listener !== undefined && listener !== this.listener)) return;
    if (status === 'closed') {
      this.url = null;
      this.log('warn', 'ngrok session dropped; waiting for it to come back');
      this.events.emit({ type: 'disconnect', reason: 'ngrok session closed' });
      if (this.graceTimer) clearTimeout(this.graceTimer);
      this.graceTimer = setTimeout(() => void this.reconnect(), this.options.reconnectGraceMs ?? 15_000);
      this.graceTimer.unref();
    } else if (status === 'connected') {
      if (this.graceTimer) clearTimeout(this.graceTimer);
      this.graceTimer = null;
      const url = this.listener?.url() ?? null;
      if (url) {
        this.url = url;
        this.log('info', `ngrok session re-established: ${url}`);
        this.events.emit({ type: 'url', url });
      }
    }
  }

  /** Replaces a listener whose session did not come back by itself. */
  reconnect(): Promise<void> {
    if (this.reconnecting) return this.reconnecting;
    const old = this.listener;
    this.listener = null;
    this.url = null;
    this.reconnecting = (async () => {
      if (old) await old.close().catch(() => undefined);
      await this.connectWithBackoff(true).catch(() => undefined);
    })().finally(() => {
      this.reconnecting = null;
    });
    return this.reconnecting;
  }
}
