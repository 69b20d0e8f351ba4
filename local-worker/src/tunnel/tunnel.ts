/**
 * A way for the gateway to reach this worker. `NgrokTunnel` publishes the local server on an ngrok
 * URL; `DirectTunnel` publishes nothing and announces the local (or configured) URL instead.
 * Implementations are picked in one place: `createTunnel` in `create-tunnel.ts`.
 */
export interface Tunnel {
  /** e.g. `ngrok`, `direct` */
  readonly provider: string;
  /** The current public URL, null before `start` or while disconnected. */
  readonly publicUrl: string | null;
  /** Publishes `localUrl` (e.g. `http://127.0.0.1:8787`); resolves once a public URL exists. */
  start(localUrl: string): Promise<{ publicUrl: string }>;
  /** Closes the tunnel; safe to call more than once. */
  stop(): Promise<void>;
  /** Subscribes to tunnel events; returns an unsubscribe function. */
  onEvent(listener: (event: TunnelEvent) => void): () => void;
}

export type TunnelEvent =
  /** A (new or re-established) public URL: announce it to the gateway. */
  | { type: 'url'; url: string }
  /** The session dropped; the URL is unusable until the next `url` event. */
  | { type: 'disconnect'; reason: string }
  /** A connection attempt failed and another follows after `delayMs`. */
  | { type: 'retry'; attempt: number; delayMs: number; reason: string }
  /** A failure that retrying cannot fix (bad token, domain not owned): the tunnel gave up. */
  | { type: 'fatal'; error: Error };

/** Small helper shared by tunnel implementations. */
export class TunnelEvents {
  private readonly listeners = new Set<(event: TunnelEvent) => void>();

  on(listener: (event: TunnelEvent) => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  emit(event: TunnelEvent): void {
    for (const listener of this.listeners) listener(event);
  }
}
