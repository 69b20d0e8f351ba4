import { AppError, type ErrorCode } from '@review-assistant/shared';

/**
 * A failed call to a worker. `isRetryable` says whether another worker may succeed (only used
 * before the first byte reached the client); `countsForBreaker` says whether the failure says
 * something about the worker's health (a client's own bad input does not).
 */
export class WorkerCallError extends AppError {
  readonly countsForBreaker: boolean;
  readonly workerId: string | undefined;

  constructor(
    code: ErrorCode,
    message: string,
    options: { cause?: unknown; retryable?: boolean; countsForBreaker?: boolean; workerId?: string; status?: number } = {},
  ) {
    super(code, message, {
      ...(options.cause === undefined ? {} : { cause: options.cause }),
      ...(options.retryable === undefined ? {} : { retryable: options.retryable }),
      ...(options.status === undefined ? {} : { status: options.status }),
    });
    this.countsForBreaker = options.countsForBreaker ?? true;
    this.workerId = options.workerId;
  }
}

export function isWorkerHealthFailure(error: unknown): boolean {
  return error instanceof WorkerCallError && error.countsForBreaker;
}
