import { z } from 'zod';

/**
 * The one catalogue of error codes used on every HTTP endpoint and in `error` stream events.
 * The HTTP status that goes with each code lives here too, so every service renders the same
 * code with the same status.
 */
export const errorCatalogue = {
  bad_request: { status: 400, retryable: false },
  validation_failed: { status: 400, retryable: false },
  invalid_json: { status: 400, retryable: false },
  invalid_csv: { status: 400, retryable: false },
  worker_url_rejected: { status: 400, retryable: false },
  unauthorized: { status: 401, retryable: false },
  bad_signature: { status: 401, retryable: false },
  forbidden: { status: 403, retryable: false },
  not_found: { status: 404, retryable: false },
  model_not_found: { status: 404, retryable: false },
  method_not_allowed: { status: 405, retryable: false },
  worker_id_taken: { status: 409, retryable: false },
  payload_too_large: { status: 413, retryable: false },
  unsupported_media_type: { status: 415, retryable: false },
  rate_limited: { status: 429, retryable: true },
  too_many_workers: { status: 429, retryable: true },
  internal: { status: 500, retryable: true },
  not_ready: { status: 503, retryable: true },
  no_worker: { status: 503, retryable: true },
  worker_busy: { status: 503, retryable: true },
  worker_unavailable: { status: 502, retryable: true },
  worker_timeout: { status: 504, retryable: true },
  worker_stream_broken: { status: 502, retryable: true },
  model_unavailable: { status: 503, retryable: true },
  model_error: { status: 502, retryable: true },
  vector_store_unavailable: { status: 503, retryable: true },
  cancelled: { status: 499, retryable: false },
} as const satisfies Record<string, { status: number; retryable: boolean }>;

export type ErrorCode = keyof typeof errorCatalogue;

/**
 * What a client is told for server-side failures (status 500 and up). Their own messages are for
 * the log: they may carry host names, addresses, worker ids derived from host names, bucket names
 * or account ids from a network or AWS error. Client errors (4xx) keep their message, which
 * describes the client's own request.
 */
const serverErrorMessages: Record<string, string> = {
  internal: 'internal error; quote the request id when reporting it',
  not_ready: 'not ready yet; try again shortly',
  no_worker: 'no worker is available right now; small talk and intent prediction still work',
  worker_busy: 'every worker is busy; try again in a moment',
  worker_unavailable: 'the worker could not be reached or gave an unexpected answer; try again',
  worker_timeout: 'the worker did not answer in time; try again',
  worker_stream_broken: 'the worker\'s answer broke off; try again',
  model_unavailable: 'the model is not available on the worker right now; try again later',
  model_error: 'the model failed to answer; try again',
  vector_store_unavailable: 'the review store is not available right now; try again later',
};

/** The message a public client may see for an error with `code` and internal `message`. */
export function publicErrorMessage(code: string, message: string, status?: number): string {
  const entry = (errorCatalogue as Record<string, { status: number } | undefined>)[code];
  const effectiveStatus = status ?? entry?.status ?? 500;
  if (effectiveStatus < 500 && entry !== undefined) return message;
  return serverErrorMessages[code] ?? serverErrorMessages.internal!;
}
const errorCodes = Object.keys(errorCatalogue) as [ErrorCode, ...ErrorCode[]];
export const ErrorCodeSchema = z.enum(errorCodes);

/** Body of every non-2xx HTTP response: `{"error": {"code", "message"}}`. */
export const ErrorBodySchema = z.object({
  error: z.object({
    code: z.string(),
    message: z.string(),
    requestId: z.string().optional(),
    details: z.unknown().optional(),
  }),
});
export type ErrorBody = z.infer<typeof ErrorBodySchema>;

export interface AppErrorOptions {
  cause?: unknown;
  /** Overrides the catalogue's status (rarely needed). */
  status?: number;
  /** Overrides the catalogue's retryability. */
  retryable?: boolean;
  details?: unknown;
}

/** A typed error that knows its code, HTTP status and whether a retry may help. */
export class AppError extends Error {
  override readonly name = 'AppError';
  readonly code: ErrorCode;
  readonly status: number;
  readonly isRetryable: boolean;
  readonly details: unknown;

  constructor(code: ErrorCode, message: string, options: AppErrorOptions = {}) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.code = code;
    this.status = options.status ?? errorCatalogue[code].status;
    this.isRetryable = options.retryable ?? errorCatalogue[code].retryable;
    this.details = options.details;
  }

  /** `toBody` with the message a public client may see (`publicErrorMessage`). */
  toPublicBody(requestId?: string): ErrorBody {
    const body = this.toBody(requestId);
    body.error.message = publicErrorMessage(this.code, this.message, this.status);
    if (this.status >= 500) delete body.error.details;
    return body;
  }

  toBody(requestId?: string): ErrorBody {
    return {
      error: {
        code: this.code,
        message: this.message,
        ...(requestId === undefined ? {} : { requestId }),
        ...(this.details === undefined ? {} : { details: this.details }),
      },
    };
  }
}

export function isAppError(value: unknown): value is AppError {
  return value instanceof AppError;
}

/** Builds the error body for a code without throwing. */
export function errorBody(code: ErrorCode, message: string, requestId?: string): ErrorBody {
  return new AppError(code, message).toBody(requestId);
}

const codeByStatus: Partial<Record<number, ErrorCode>> = {
  400: 'bad_request',
  401: 'unauthorized',
  403: 'forbidden',
  404: 'not_found',
  405: 'method_not_allowed',
  413: 'payload_too_large',
  415: 'unsupported_media_type',
  429: 'rate_limited',
  503: 'not_ready',
};

/** The catalogue code for an HTTP status raised by a framework (e.g. Hono's HTTPException). */
export function errorCodeForStatus(status: number): ErrorCode {
  return codeByStatus[status] ?? (status >= 500 ? 'internal' : 'bad_request');
}
