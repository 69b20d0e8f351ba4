import { Counter, Gauge, Histogram, Registry, collectDefaultMetrics } from 'prom-client';
import type { InteractionRecord } from './logs/interaction-record.js';
import type { WorkerSnapshot } from './pool/types.js';
import { RequestMetrics } from './request-metrics.js';

const latencyBuckets = [0.001, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60];

/**
 * The gateway's Prometheus metrics in their own registry (so several apps in one test process
 * never collide). Worker gauges are computed at scrape time from the pool snapshot.
 */
export class GatewayMetrics {
  readonly registry = new Registry();
  readonly httpRequests: Counter<'method' | 'route' | 'status'>;
  readonly httpDuration: Histogram<'method' | 'route'>;
  /** Records each finished request in `httpRequests` and `httpDuration` (the request context calls it). */
  readonly requests: RequestMetrics;
  readonly activeStreams: Gauge<'channel'>;
  readonly timeToFirstToken: Histogram<'route'>;
  readonly chatTurns: Counter<'channel' | 'route' | 'status'>;
  readonly intents: Counter<'intent'>;
  /** Interaction records that went to the spill file instead of the log store (replayed later). */
  readonly logSpilled: Counter;
  /** Called with every finished turn's record (the EMF publisher aggregates them). */
  readonly turnObservers: ((record: InteractionRecord) => void)[] = [];

  constructor(options: { listWorkers?: () => WorkerSnapshot[]; defaultMetrics?: boolean } = {}) {
    const registers = [this.registry];
    // Counted per request by `requests` (no label object per request), read into the counter when scraped.
    const drainRequests = (counter: Counter<'method' | 'route' | 'status'>) => this.requests.drainInto(counter);
    this.httpRequests = new Counter({
      name: 'gateway_http_requests_total',
      help: 'HTTP requests by route and status.',
      labelNames: ['method', 'route', 'status'],
      registers,
      collect() {
        drainRequests(this);
      },
    });
    this.httpDuration = new Histogram({
      name: 'gateway_http_request_duration_seconds',
      help: 'Time to response headers by route (streams: until the stream starts).',
      labelNames: ['method', 'route'],
      buckets: latencyBuckets,
      registers,
    });
    this.requests = new RequestMetrics(this.httpDuration);
    this.activeStreams = new Gauge({ name: 'gateway_active_streams', help: 'Chat streams in progress.', labelNames: ['channel'], registers });
    this.timeToFirstToken = new Histogram({
      name: 'gateway_time_to_first_token_seconds',
      help: 'Time from a chat turn\'s start to its first answer text.',
      labelNames: ['route'],
      buckets: latencyBuckets,
      registers,
    });
    this.chatTurns = new Counter({
      name: 'gateway_chat_turns_total',
      help: 'Chat turns by channel (sse, ws, openai, ollama), route and outcome.',
      labelNames: ['channel', 'route', 'status'],
      registers,
    });
    this.intents = new Counter({ name: 'gateway_intents_total', help: 'Predicted intents of chat turns.', labelNames: ['intent'], registers });
    this.logSpilled = new Counter({
      name: 'gateway_interaction_log_spilled_total',
      help: 'Interaction records written to the local spill file because the log store refused them (replayed later).',
      registers,
    });
    const listWorkers = options.listWorkers ?? (() => []);
    new Gauge({
      name: 'gateway_workers_up',
      help: 'Workers in the pool that are up (not degraded, stopping or with an open breaker).',
      registers,
      collect() {
        this.set(listWorkers().filter((worker) => worker.up).length);
      },
    });
    new Gauge({
      name: 'gateway_worker_breaker_state',
      help: 'Circuit breaker state per worker (1 for the current state).',
      labelNames: ['worker', 'state'],
      registers,
      collect() {
        this.reset();
        for (const worker of listWorkers()) {
          for (const state of ['closed', 'open', 'half-open', 'isolated'] as const) {
            this.set({ worker: worker.id, state }, worker.breaker === state ? 1 : 0);
          }
        }
      },
    });
    // Event-loop delay sampled every 100 ms instead of prom-client's 10 ms: its timer woke an idle
    // gateway 100 times a second (idle main thread 2.7-4.7 ms of CPU per second, 0.6-0.9 at 100 ms).
    // Stalls of 100 ms or more are still always seen, shorter ones in proportion to their length.
    if (options.defaultMetrics) collectDefaultMetrics({ register: this.registry, prefix: 'gateway_', eventLoopMonitoringPrecision: 100 });
  }
}
