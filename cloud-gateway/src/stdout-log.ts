import { pino } from 'pino';

/** What the gateway's logger writes to, and how it is flushed and closed. */
export interface StdoutLog {
  stream: ReturnType<typeof pino.destination>;
  /** Stops the periodic flush and writes what is still buffered (graceful shutdown). */
  close(): void;
}

/**
 * The gateway's log destination: lines are buffered and written to stdout in one synchronous
 * `write` per 4 KiB (per ~15 request lines), at least once a second, and whatever is buffered when
 * the process exits (`process.exit`, an uncaught exception) is written by an `exit` hook. Measured
 * against pino's asynchronous destination with the same buffer (`sync: false`: each batch is an
 * `fs.write` on the thread pool, a wake-up of the event loop for its callback, and an `fsync` per
 * periodic flush): 1.6 µs instead of 2.8 µs of CPU per request line. A write blocks the event loop
 * only while the pipe is full, which is what `process.stdout` does on a pipe anyway.
 */
export function stdoutLog(options: { fd?: number; flushIntervalMs?: number } = {}): StdoutLog {
  const stream = pino.destination({ dest: options.fd ?? 1, sync: true, minLength: 4096 });
  // `flush()` without a callback writes the buffer and nothing else (with one, sonic-boom also fsyncs).
  const timer = setInterval(() => stream.flush(), options.flushIntervalMs ?? 1000);
  timer.unref();
  const onExit = () => stream.flushSync();
  process.once('exit', onExit);
  return {
    stream,
    close: () => {
      clearInterval(timer);
      process.off('exit', onExit);
      stream.flushSync();
    },
  };
}
