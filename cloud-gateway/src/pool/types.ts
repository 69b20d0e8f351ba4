import type { BackendKind, ModelStatus, Route } from '@review-assistant/shared';

/** Where the pool learned about a worker. */
export type WorkerSource = 'static' | 'heartbeat';

/**
 * Health of a worker as the gateway sees it.
 * - `ready`: heartbeats (or calls) say it is up and serving;
 * - `warming-up`: it announced itself but is still loading models;
 * - `degraded`: it reports trouble or recent calls failed;
 * - `stopping`: it said goodbye or is draining;
 * - `unknown`: a static worker not yet called or heard from.
 */
export type WorkerHealthState = 'ready' | 'warming-up' | 'degraded' | 'stopping' | 'unknown';

/** State of the per-worker circuit breaker (cockatiel's `CircuitState`, as text). */
export type BreakerState = 'closed' | 'open' | 'half-open' | 'isolated';

/** One worker of the pool, as shown on the admin page and in /api/status. */
export interface WorkerSnapshot {
  id: string;
  url: string;
  source: WorkerSource;
  state: WorkerHealthState;
  breaker: BreakerState;
  /** Counts as up for the status badge and metrics (the pool's own rule, `PooledWorker.up`). */
  up: boolean;
  /** Requests this gateway currently has running on the worker. */
  active: number;
  /** Requests this gateway has waiting for a slot on the worker. */
  queue: number;
  /** Concurrent requests the gateway sends to this worker. */
  capacity: number;
  /** Backend the worker reported (`ollama`, `offline`), null until it reports one. */
  backend: BackendKind | null;
  models: ModelStatus[];
  /** ISO time of the last heartbeat, null for a static worker never heard from. */
  lastHeartbeatAt: string | null;
  /** Last failure seen on a call or heartbeat, null when the last call succeeded. */
  lastError: string | null;
}

/** One chat turn (or API call) the gateway routed, newest first on the admin page. */
export interface RoutedRequest {
  /** ISO time the request arrived. */
  time: string;
  requestId: string;
  /** Worker that served it; null for gateway-answered turns or when no worker was available. */
  workerId: string | null;
  route: Route | 'api';
  /** Intent name, null for API calls. */
  intent: string | null;
  /** `ok`, `error:<code>` or `cancelled`. */
  status: string;
  ms: number;
}
