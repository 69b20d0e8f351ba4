import { TunnelEvents } from './tunnel.js';
import type { Tunnel, TunnelEvent } from './tunnel.js';

export interface DirectTunnelOptions {
  /**
   * URL to announce instead of the local one, e.g. `http://worker:8787` inside docker compose.
   * @default the local URL passed to `start`
   */
  announceUrl?: string | undefined;
}

/** No tunnel: the gateway reaches the worker directly (same machine, or a private network). */
export class DirectTunnel implements Tunnel {
  readonly provider = 'direct';
  private url: string | null = null;
  private readonly events = new TunnelEvents();

  constructor(private readonly options: DirectTunnelOptions = {}) {}

  get publicUrl(): string | null {
    return this.url;
  }

  async start(localUrl: string): Promise<{ publicUrl: string }> {
    this.url = this.options.announceUrl ?? localUrl;
    this.events.emit({ type: 'url', url: this.url });
    return { publicUrl: this.url };
  }

  async stop(): Promise<void> {
    this.url = null;
  }

  onEvent(listener: (event: TunnelEvent) => void): () => void {
    return this.events.on(listener);
  }
}
