import { AppError } from '@review-assistant/shared';

export interface ConnectionLimitsOptions {
  /** Open WebSockets (and handshakes in progress) allowed in total. */
  maxTotal: number;
  /** Open WebSockets (and handshakes in progress) allowed per client IP. */
  maxPerIp: number;
}

/** Seconds a refused client is told to wait: connections end when chats end, not on a clock. */
const RETRY_AFTER_SECONDS = 30;

/**
 * Counts WebSocket connections per client IP and in total. `admit` either refuses (429 for one IP
 * over its share, 503 when the gateway is full) or returns a `release` to call exactly once when
 * the connection ends; releasing twice is harmless.
 */
export class ConnectionLimits {
  private readonly perIp = new Map<string, number>();
  private total = 0;

  constructor(private readonly options: ConnectionLimitsOptions) {}

  /** Connections counted now (open sockets plus handshakes in progress). */
  get size(): number {
    return this.total;
  }

  admit(ip: string): { release: () => void } | { error: AppError; retryAfterSeconds: number } {
    const current = this.perIp.get(ip) ?? 0;
    if (current >= this.options.maxPerIp) {
      return { error: new AppError('rate_limited', `too many WebSocket connections from this address (limit ${this.options.maxPerIp})`), retryAfterSeconds: RETRY_AFTER_SECONDS };
    }
    if (this.total >= this.options.maxTotal) {
      return { error: new AppError('not_ready', 'the gateway has no room for more WebSocket connections; retry later'), retryAfterSeconds: RETRY_AFTER_SECONDS };
    }
    this.perIp.set(ip, current + 1);
    this.total += 1;
    let released = false;
    return {
      release: () => {
        if (released) return;
        released = true;
        this.total -= 1;
        const left = (this.perIp.get(ip) ?? 1) - 1;
        if (left <= 0) this.perIp.delete(ip);
        else this.perIp.set(ip, left);
      },
    };
  }
}
