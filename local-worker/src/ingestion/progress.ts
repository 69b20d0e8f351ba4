import { SingleBar } from 'cli-progress';

/** Reports progress of long work: a bar with rate and ETA on a TTY, plain periodic lines otherwise. */
export interface ProgressReporter {
  start(total: number, label: string): void;
  increment(by: number): void;
  stop(): void;
}

export type ProgressMode = 'auto' | 'bar' | 'lines' | 'none';

export interface ProgressOptions {
  mode?: ProgressMode;
  /** Where progress goes. @default process.stderr */
  stream?: NodeJS.WriteStream;
  /** Seconds between plain lines. @default 2 */
  intervalSeconds?: number;
}

class BarProgress implements ProgressReporter {
  private readonly bar: SingleBar;
  constructor(stream: NodeJS.WriteStream) {
    this.bar = new SingleBar({
      stream,
      format: '{label} [{bar}] {percentage}% | {value}/{total} | {rate}/s | ETA {eta_formatted}',
      hideCursor: true,
      etaBuffer: 50,
    });
  }
  private started = 0;
  private label = '';
  start(total: number, label: string): void {
    this.started = performance.now();
    this.label = label;
    this.bar.start(total, 0, { label, rate: '0' });
  }
  increment(by: number): void {
    const value = this.bar.getProgress() * this.bar.getTotal() + by;
    const seconds = (performance.now() - this.started) / 1000;
    this.bar.increment(by, { label: this.label, rate: seconds > 0 ? (value / seconds).toFixed(0) : '0' });
  }
  stop(): void {
    this.bar.stop();
  }
}

class LineProgress implements ProgressReporter {
  private total = 0;
  private done = 0;
  private started = 0;
  private lastLine = 0;
  private label = '';
  constructor(
    private readonly stream: NodeJS.WriteStream,
    private readonly intervalMs: number,
  ) {}
  start(total: number, label: string): void {
    this.total = total;
    this.done = 0;
    this.label = label;
    this.started = performance.now();
    this.lastLine = this.started;
    this.stream.write(`${label}: 0/${total}\n`);
  }
  increment(by: number): void {
    this.done += by;
    const now = performance.now();
    if (now - this.lastLine >= this.intervalMs || this.done >= this.total) {
      this.lastLine = now;
      const seconds = (now - this.started) / 1000;
      const rate = seconds > 0 ? this.done / seconds : 0;
      const eta = rate > 0 ? Math.ceil((this.total - this.done) / rate) : 0;
      const percent = this.total === 0 ? 100 : Math.floor((this.done / this.total) * 100);
      this.stream.write(`${this.label}: ${this.done}/${this.total} (${percent}%), ${rate.toFixed(0)}/s, ETA ${eta}s\n`);
    }
  }
  stop(): void {}
}

const silent: ProgressReporter = { start() {}, increment() {}, stop() {} };

export function createProgress(options: ProgressOptions = {}): ProgressReporter {
  const stream = options.stream ?? process.stderr;
  const mode = options.mode ?? 'auto';
  if (mode === 'none') return silent;
  if (mode === 'bar' || (mode === 'auto' && stream.isTTY)) return new BarProgress(stream);
  return new LineProgress(stream, (options.intervalSeconds ?? 2) * 1000);
}
