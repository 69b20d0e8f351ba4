import type { Counter, Histogram } from 'prom-client';

type CountLabels = { method: string; route: string; status: string };
type DurationLabels = { method: string; route: string };

interface StatusCount {
  labels: CountLabels;
  /** Requests since the counter last read this cell. */
  pending: number;
}

interface RouteCell {
  labels: DurationLabels;
  byStatus: Map<number, StatusCount>;
}

/**
 * The per-request metrics (`gateway_http_requests_total` by method, route and status, and
 * `gateway_http_request_duration_seconds` by method and route) without building label objects per
 * request: one cell per method and route (the label object the histogram is given every time) and
 * per status a plain count, handed to the counter when it is read (its `collect`, which prom-client
 * runs before every scrape and `get()`). prom-client hashes the label object of every `inc`, which
 * per request cost about as much as the histogram's `observe`. The cells are as bounded as the
 * labels: methods Node's parser accepts, the app's route patterns (or `unmatched`), status codes.
 */
export class RequestMetrics {
  private readonly byMethod = new Map<string, Map<string, RouteCell>>();

  constructor(private readonly duration: Histogram<'method' | 'route'>) {}

  /** One finished request. */
  record(method: string, route: string, status: number, seconds: number): void {
    let byRoute = this.byMethod.get(method);
    if (byRoute === undefined) {
      byRoute = new Map();
      this.byMethod.set(method, byRoute);
    }
    let cell = byRoute.get(route);
    if (cell === undefined) {
      cell = { labels: { method, route }, byStatus: new Map() };
      byRoute.set(route, cell);
    }
    let count = cell.byStatus.get(status);
    if (count === undefined) {
      count = { labels: { method, route, status: String(status) }, pending: 0 };
      cell.byStatus.set(status, count);
    }
    count.pending += 1;
    this.duration.observe(cell.labels, seconds);
  }

  /** Adds the requests counted since the last call to `counter` (call it from the counter's `collect`). */
  drainInto(counter: Counter<'method' | 'route' | 'status'>): void {
    for (const byRoute of this.byMethod.values()) {
      for (const cell of byRoute.values()) {
        for (const count of cell.byStatus.values()) {
          if (count.pending === 0) continue;
          counter.inc(count.labels, count.pending);
          count.pending = 0;
        }
      }
    }
  }
}
