import { WorkerCallError } from './worker-call-error.js';

/** The deadlines of one worker request, in milliseconds. */
export interface DeadlineLimits {
  /** To the response headers. */
  connectMs: number;
  /** To the first stream event (chat) or the whole body (JSON calls). */
  firstByteMs: number;
  /** Between two stream events. */
  idleMs: number;
  /** The whole request, from the start of the call. */
  budgetMs: number;
}

/** A phase of a worker request with its own deadline. */
export type DeadlinePhase = 'connect' | 'first-byte' | 'idle';

const phaseMessages: Record<DeadlinePhase | 'budget', (ms: number) => string> = {
  connect: (ms) => `did not respond within ${ms} ms`,
  'first-byte': (ms) => `sent nothing within ${ms} ms`,
  idle: (ms) => `went silent for ${ms} ms`,
  budget: (ms) => `did not finish within the ${ms} ms budget`,
};

const phaseLimit: Record<DeadlinePhase, keyof DeadlineLimits> = { connect: 'connectMs', 'first-byte': 'firstByteMs', idle: 'idleMs' };

/**
 * The one deadline helper of a worker request: owns the request's `AbortController`, forwards the
 * caller's cancellation to it, runs the overall budget from construction, and one phase deadline
 * at a time (connect, first byte, idle). A deadline that passes aborts the request with a typed,
 * retryable `worker_timeout` naming the worker and the phase; `reason` then holds that error.
 */
export class RequestDeadlines {
  private readonly controller = new AbortController();
  private readonly budget: NodeJS.Timeout;
  private phaseTimer: NodeJS.Timeout | undefined;
  private readonly unlink: () => void;

  constructor(
    private readonly workerId: string,
    private readonly limits: DeadlineLimits,
    parent?: AbortSignal,
  ) {
    this.unlink = linkAbort(parent, this.controller);
    this.budget = setTimeout(() => this.expire('budget', limits.budgetMs), limits.budgetMs);
  }

  /** Aborts when a deadline passes, the caller cancels, or `abort` is called. */
  get signal(): AbortSignal {
    return this.controller.signal;
  }

  /** Why the request was aborted (a `worker_timeout` error when a deadline passed). */
  get reason(): unknown {
    return this.controller.signal.reason;
  }

  /** Starts the deadline of `phase` (replacing the previous phase's); `ms` overrides the limit. */
  start(phase: DeadlinePhase, ms = this.limits[phaseLimit[phase]]): void {
    this.clearPhase();
    this.phaseTimer = setTimeout(() => this.expire(phase, ms), Math.min(ms, this.limits.budgetMs));
  }

  /** Stops the running phase deadline. */
  clearPhase(): void {
    if (this.phaseTimer) clearTimeout(this.phaseTimer);
    this.phaseTimer = undefined;
  }

  /** Aborts the request now (idempotent); the first reason wins. */
  abort(reason: unknown): void {
    if (!this.controller.signal.aborted) this.controller.abort(reason);
  }

  /** Clears every timer and stops listening to the caller's signal (idempotent). */
  finish(): void {
    this.clearPhase();
    clearTimeout(this.budget);
    this.unlink();
  }

  private expire(phase: DeadlinePhase | 'budget', ms: number): void {
    this.abort(new WorkerCallError('worker_timeout', `worker ${this.workerId} ${phaseMessages[phase](ms)}`, { workerId: this.workerId, retryable: true }));
  }
}

/**
 * Forwards an abort of `parent` (the client) to `controller` (one worker request) and returns the
 * function that undoes it. Used instead of `AbortSignal.any`, which on Node 20 keeps every combined
 * signal reachable from its sources until they are collected.
 */
function linkAbort(parent: AbortSignal | undefined, controller: AbortController): () => void {
  if (!parent) return () => undefined;
  if (parent.aborted) {
    controller.abort(parent.reason);
    return () => undefined;
  }
  const forward = () => controller.abort(parent.reason);
  parent.addEventListener('abort', forward, { once: true });
  return () => parent.removeEventListener('abort', forward);
}
