import type { InteractionRecord } from './logs/interaction-record.js';
import type { GatewayMetrics } from './metrics.js';

/** CloudWatch namespace of the gateway's metrics (the stack's dashboard and alarms read it). */
export const EMF_NAMESPACE = 'ReviewAssistant/Gateway';

/** EMF allows at most 100 values in one metric array (CloudWatch EMF specification). */
const MAX_VALUES = 100;

export interface EmfPublisherOptions {
  metrics: GatewayMetrics;
  /** Receives one EMF document (a JSON line, newline included). @default process.stdout.write */
  write?: (line: string) => void;
  /** How often the aggregated metrics are written. @default 60000 */
  intervalMs?: number;
  namespace?: string;
  now?: () => number;
}

type Dimensions = Record<string, string>;
interface MetricValue {
  name: string;
  unit: 'Count' | 'Milliseconds' | 'None';
  value: number | number[];
}

/**
 * Writes the gateway's metrics as CloudWatch Embedded Metric Format lines on stdout
 * (`CLOUDWATCH_EMF=true`): the CloudWatch agent ships the log file and CloudWatch Logs turns the
 * lines into metrics, so no PutMetricData calls and no agent-side metric config are needed.
 * Aggregated per interval (one line per route/status pair, not one per turn): chat turns by route
 * and status, time to first token and intent confidence (raw values, so CloudWatch computes true
 * percentiles), workers online and 5xx responses.
 */
export class EmfPublisher {
  private readonly turns = new Map<string, { route: string; status: string; count: number }>();
  private firstTokenMs: number[] = [];
  private confidences: number[] = [];
  private serverErrorsSeen = 0;
  private timer: NodeJS.Timeout | undefined;
  private readonly write: (line: string) => void;
  private readonly namespace: string;
  private readonly now: () => number;
  /** Bound once: the recorder calls it at the end of every chat turn. */
  readonly observeTurn = (record: InteractionRecord): void => {
    // ok, cancelled or error: one CloudWatch metric per pair, so error codes are not dimensions
    // (each distinct dimension value is a billed custom metric beyond the free ten)
    const status = record.status.startsWith('error') ? 'error' : record.status;
    const key = `${record.route}\u0000${status}`;
    const entry = this.turns.get(key);
    if (entry) entry.count += 1;
    else this.turns.set(key, { route: record.route, status, count: 1 });
    if (record.timeToFirstTokenMs !== null) this.firstTokenMs.push(record.timeToFirstTokenMs);
    this.confidences.push(record.intent.confidence);
  };

  constructor(private readonly options: EmfPublisherOptions) {
    this.write = options.write ?? ((line) => process.stdout.write(line));
    this.namespace = options.namespace ?? EMF_NAMESPACE;
    this.now = options.now ?? Date.now;
  }

  /** Subscribes to finished turns and writes every `intervalMs` (the timer does not keep Node alive). */
  start(): this {
    this.options.metrics.turnObservers.push(this.observeTurn);
    this.timer = setInterval(() => void this.flush(), this.options.intervalMs ?? 60_000);
    this.timer.unref();
    return this;
  }

  /** Writes what was aggregated since the last flush; also called at shutdown. */
  async flush(): Promise<void> {
    const timestamp = this.now();
    for (const { route, status, count } of this.turns.values()) {
      this.document(timestamp, { Route: route, Status: status }, [{ name: 'ChatTurns', unit: 'Count', value: count }]);
    }
    this.turns.clear();
    for (let start = 0; start < this.firstTokenMs.length; start += MAX_VALUES) {
      this.document(timestamp, {}, [{ name: 'TimeToFirstToken', unit: 'Milliseconds', value: this.firstTokenMs.slice(start, start + MAX_VALUES) }]);
    }
    for (let start = 0; start < this.confidences.length; start += MAX_VALUES) {
      this.document(timestamp, {}, [{ name: 'IntentConfidence', unit: 'None', value: this.confidences.slice(start, start + MAX_VALUES) }]);
    }
    this.firstTokenMs = [];
    this.confidences = [];
    const [workers, requests] = await Promise.all([
      this.options.metrics.registry.getSingleMetric('gateway_workers_up')?.get(),
      this.options.metrics.httpRequests.get(),
    ]);
    const serverErrors = requests.values.filter((sample) => Number(sample.labels.status) >= 500).reduce((sum, sample) => sum + sample.value, 0);
    this.document(timestamp, {}, [
      { name: 'WorkersOnline', unit: 'Count', value: workers?.values[0]?.value ?? 0 },
      { name: 'ServerErrors', unit: 'Count', value: serverErrors - this.serverErrorsSeen },
    ]);
    this.serverErrorsSeen = serverErrors;
  }

  /** Stops the timer and writes the last interval. */
  async stop(): Promise<void> {
    if (this.timer) clearInterval(this.timer);
    this.timer = undefined;
    const observers = this.options.metrics.turnObservers;
    const index = observers.indexOf(this.observeTurn);
    if (index >= 0) observers.splice(index, 1);
    await this.flush();
  }

  private document(timestamp: number, dimensions: Dimensions, values: MetricValue[]): void {
    const document = {
      _aws: {
        Timestamp: timestamp,
        CloudWatchMetrics: [
          {
            Namespace: this.namespace,
            Dimensions: [Object.keys(dimensions)],
            Metrics: values.map(({ name, unit }) => ({ Name: name, Unit: unit })),
          },
        ],
      },
      ...dimensions,
      ...Object.fromEntries(values.map(({ name, value }) => [name, value])),
    };
    this.write(`${JSON.stringify(document)}\n`);
  }
}
