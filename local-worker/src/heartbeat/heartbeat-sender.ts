import { ErrorBodySchema, HeartbeatSchema, createSignedFetch } from '@review-assistant/shared';
import type { Heartbeat, WorkerHealth } from '@review-assistant/shared';

/** What the worker reports about itself in every heartbeat (the URL and timing are added here). */
export type HeartbeatStatus = Omit<Heartbeat, 'url' | 'intervalSeconds' | 'goodbye'>;

/** Maps the worker's `/v1/health` body to heartbeat fields. */
export function heartbeatStatusFromHealth(health: WorkerHealth, workerId: string = health.workerId): HeartbeatStatus {
  return {
    workerId,
    backend: health.backend,
    state: health.status,
    models: health.models.slice(0, 20),
    queueDepth: health.queue.waiting,
    active: health.queue.active,
    capacity: health.queue.capacity,
    version: health.version.slice(0, 64),
  };
}

export interface HeartbeatSenderOptions {
  /** The gateway's public base URL (heartbeats go there directly, never through the tunnel). */
  gatewayUrl: string;
  /** WORKER_SHARED_SECRET: every heartbeat is signed like a gateway→worker request. */
  secret: string;
  /** Current status of the worker. */
  status: () => HeartbeatStatus | Promise<HeartbeatStatus>;
  /** Current URL the gateway should use, null while the tunnel is down (no heartbeat is sent then). */
  url: () => string | null;
  /** @default 5 */
  intervalSeconds?: number;
  /** Per-request timeout. @default 3000 */
  timeoutMs?: number;
  /** Failures are logged at most once per this many ms (with a count). @default 60000 */
  failureLogIntervalMs?: number;
  /** @default globalThis.fetch */
  fetch?: typeof fetch;
  log?: (level: 'info' | 'warn' | 'error', message: string) => void;
}

/**
 * Sends signed `POST {GATEWAY_URL}/internal/workers/heartbeat` every interval (first one at once,
 * and again whenever `sendNow` is called, e.g. after the tunnel URL changed). Never throws: a
 * gateway that is down is logged (rate-limited) and retried on the next tick. `stop()` sends a
 * final heartbeat with `goodbye: true` so the gateway drops the worker at once. When the URL
 * changes (a new tunnel session), a goodbye for the old URL goes first: the gateway keeps a
 * worker id bound to its URL until the entry expires, and the goodbye releases it at once.
 */
export class HeartbeatSender {
  private timer: NodeJS.Timeout | null = null;
  private running = false;
  private inFlight: Promise<boolean> | null = null;
  private failuresSinceLog = 0;
  private lastFailureLogAt = Number.NEGATIVE_INFINITY;
  private failing = false;
  /** The URL of the last heartbeat the gateway accepted. */
  private acceptedUrl: string | null = null;
  private readonly signedFetch: typeof fetch;
  private readonly endpoint: string;
  readonly intervalSeconds: number;

  constructor(private readonly options: HeartbeatSenderOptions) {
    this.intervalSeconds = options.intervalSeconds ?? 5;
    this.signedFetch = createSignedFetch(options.secret, options.fetch ?? fetch);
    this.endpoint = new URL('/internal/workers/heartbeat', options.gatewayUrl).toString();
  }

  start(): void {
    if (this.running) return;
    this.running = true;
    void this.tick();
  }

  /**
   * Sends a heartbeat now; resolves true when the gateway accepted it. Calls are serialised, so a
   * heartbeat requested while another is in flight goes out after it, with fresh status and URL.
   */
  sendNow(): Promise<boolean> {
    const previous = this.inFlight ?? Promise.resolve(true);
    const current: Promise<boolean> = previous
      .catch(() => false)
      .then(() => this.send(false))
      .finally(() => {
        if (this.inFlight === current) this.inFlight = null;
      });
    this.inFlight = current;
    return current;
  }

  /** Stops the schedule and says goodbye (once, best effort). */
  async stop(options: { goodbye?: boolean } = {}): Promise<void> {
    const wasRunning = this.running;
    this.running = false;
    if (this.timer) clearTimeout(this.timer);
    this.timer = null;
    await this.inFlight?.catch(() => undefined);
    if (wasRunning && options.goodbye !== false) await this.send(true);
  }

  private async tick(): Promise<void> {
    if (!this.running) return;
    await this.sendNow();
    if (!this.running) return;
    this.timer = setTimeout(() => void this.tick(), this.intervalSeconds * 1000);
    this.timer.unref();
  }

  private async send(goodbye: boolean): Promise<boolean> {
    const url = this.options.url();
    if (url === null) return false;
    if (!goodbye && this.acceptedUrl !== null && this.acceptedUrl !== url) await this.post(this.acceptedUrl, true);
    const accepted = await this.post(url, goodbye);
    if (accepted) this.acceptedUrl = goodbye ? null : url;
    return accepted;
  }

  private async post(url: string, goodbye: boolean): Promise<boolean> {
    try {
      const body: Heartbeat = HeartbeatSchema.parse({
        ...(await this.options.status()),
        url,
        intervalSeconds: this.intervalSeconds,
        ...(goodbye ? { goodbye: true } : {}),
      });
      const response = await this.signedFetch(this.endpoint, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify(body),
        signal: AbortSignal.timeout(this.options.timeoutMs ?? 3000),
      });
      const text = await response.text().catch(() => '');
      if (!response.ok) {
        const hint = response.status === 401 ? ' (WORKER_SHARED_SECRET differs from the gateway\'s?)' : '';
        throw new Error(`gateway answered ${response.status}${hint}${gatewayReason(text)}`);
      }
      if (this.failing) this.options.log?.('info', `heartbeats reach ${this.endpoint} again`);
      this.failing = false;
      this.failuresSinceLog = 0;
      return true;
    } catch (error) {
      this.noteFailure(error);
      return false;
    }
  }

  private noteFailure(error: unknown): void {
    this.failing = true;
    this.failuresSinceLog += 1;
    const now = Date.now();
    if (now - this.lastFailureLogAt < (this.options.failureLogIntervalMs ?? 60_000)) return;
    const reason = error instanceof Error ? (error.cause instanceof Error ? `${error.message}: ${error.cause.message}` : error.message) : String(error);
    const count = this.failuresSinceLog > 1 ? ` (${this.failuresSinceLog} failures since the last message)` : '';
    this.options.log?.('warn', `heartbeat to ${this.endpoint} failed: ${reason}${count}`);
    this.lastFailureLogAt = now;
    this.failuresSinceLog = 0;
  }
}

/** The gateway's own reason for refusing a heartbeat (its `{"error":{"code","message"}}` body), if any. */
function gatewayReason(text: string): string {
  const parsed = ErrorBodySchema.safeParse((() => {
    try {
      return JSON.parse(text.slice(0, 4096)) as unknown;
    } catch {
      return undefined;
    }
  })());
  return parsed.success ? `: ${parsed.data.error.code}: ${parsed.data.error.message.slice(0, 300)}` : '';
}
