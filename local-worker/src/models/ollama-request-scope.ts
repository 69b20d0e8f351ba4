import { Ollama } from 'ollama';
import { AppError } from '@review-assistant/shared';

/** Connection options shared by every Ollama client of the worker. */
export interface OllamaConnectionOptions {
  /** Ollama base URL (OLLAMA_HOST), e.g. `http://127.0.0.1:11434`. */
  baseURL: string;
  /** @default globalThis.fetch */
  fetch?: typeof fetch;
  headers?: Record<string, string>;
  /** `keep_alive` sent with every request so the model stays loaded. @default '30m' */
  keepAlive?: string;
  /**
   * Longest silence from Ollama (no headers, or no streamed line) before the request is abandoned
   * with a retryable `worker_timeout`. Cold loads of a model take tens of seconds. @default 120000
   */
  idleTimeoutMs?: number;
}

/**
 * One outbound Ollama request, and the worker's one way to talk to Ollama: `client()` is the
 * official `ollama` client bound to a `fetch` with its own abort signal (caller's signal plus an
 * idle timer), so cancelling one chat turn closes exactly that HTTP request. (`Ollama.abort()`
 * cancels every request of a client, and LangChain's ChatOllama only checks a signal between
 * streamed chunks; binding the signal into `fetch` cancels a hung request at once and touches
 * nothing else.) Chat, embeddings and model management all go through it.
 */
export class OllamaRequestScope {
  readonly signal: AbortSignal;
  readonly fetch: typeof fetch;
  private readonly controller = new AbortController();
  private timer: NodeJS.Timeout | undefined;
  private timedOut = false;

  constructor(
    private readonly options: OllamaConnectionOptions,
    private readonly callerSignal?: AbortSignal,
  ) {
    this.signal = callerSignal ? AbortSignal.any([callerSignal, this.controller.signal]) : this.controller.signal;
    const baseFetch = options.fetch ?? globalThis.fetch;
    this.fetch = async (input, init) => {
      this.touch();
      const response = await baseFetch(input, { ...init, signal: this.signal });
      this.touch();
      return response.body ? new Response(this.watchBody(response.body), response) : response;
    };
    this.touch();
  }

  /** The `ollama` client for this request (OLLAMA_HOST, headers, this scope's `fetch`). */
  client(): Ollama {
    return new Ollama({ host: this.options.baseURL, fetch: this.fetch, ...(this.options.headers ? { headers: this.options.headers } : {}) });
  }

  /** Restarts the idle timer (called on every byte Ollama sends). */
  touch(): void {
    if (this.timer) clearTimeout(this.timer);
    if (this.controller.signal.aborted) return;
    const idleMs = this.options.idleTimeoutMs ?? 120_000;
    this.timer = setTimeout(() => {
      this.timedOut = true;
      this.controller.abort(new Error(`Ollama sent nothing for ${idleMs} ms`));
    }, idleMs);
    this.timer.unref();
  }

  /** Stops the timer and closes any request still open. */
  dispose(): void {
    if (this.timer) clearTimeout(this.timer);
    this.timer = undefined;
    if (!this.controller.signal.aborted) this.controller.abort(new Error('request finished'));
  }

  /** Turns whatever a client library threw into a typed, retry-aware `AppError`. */
  toAppError(error: unknown, what: string): AppError {
    if (error instanceof AppError) return error;
    if (this.callerSignal?.aborted) return new AppError('cancelled', `${what} cancelled by the caller`, { cause: error });
    if (this.timedOut) {
      const idleMs = this.options.idleTimeoutMs ?? 120_000;
      return new AppError('worker_timeout', `${what}: Ollama sent nothing for ${idleMs} ms`, { cause: error });
    }
    const status = statusOf(error);
    const message = error instanceof Error ? error.message : String(error);
    if (status === 404 || /not found/i.test(message)) {
      return new AppError('model_unavailable', `${what}: ${message}`, { cause: error });
    }
    // Ollama's queue is full (OLLAMA_MAX_QUEUE): the worker is busy, a retry later can succeed
    if (status === 503) return new AppError('worker_busy', `${what}: Ollama is busy (${message}); retry shortly`, { cause: error });
    // a request Ollama refuses (e.g. chat with an embedding-only model) is refused again on retry
    if (status === 400) return new AppError('model_error', `${what}: ${message}`, { cause: error, retryable: false });
    if (status === undefined && isConnectionError(error)) {
      const code = connectionErrorCode(error);
      return new AppError('model_unavailable', `${what}: Ollama is unreachable at ${this.options.baseURL}${code ? ` (${code})` : ''}`, {
        cause: error,
      });
    }
    return new AppError('model_error', `${what}: ${message}`, { cause: error });
  }

  private watchBody(body: ReadableStream<Uint8Array>): ReadableStream<Uint8Array> {
    const reader = body.getReader();
    return new ReadableStream<Uint8Array>({
      pull: async (controller) => {
        try {
          const { done, value } = await reader.read();
          this.touch();
          if (done) controller.close();
          else controller.enqueue(value);
        } catch (error) {
          controller.error(error);
        }
      },
      cancel: async (reason) => {
        await reader.cancel(reason);
      },
    });
  }
}

function statusOf(error: unknown): number | undefined {
  if (typeof error === 'object' && error !== null && 'status_code' in error) {
    const status = (error as { status_code: unknown }).status_code;
    return typeof status === 'number' ? status : undefined;
  }
  return undefined;
}

/** The system error code behind a failed fetch (`ECONNREFUSED`, ...), if any. */
export function connectionErrorCode(error: unknown): string | undefined {
  for (let current: unknown = error, depth = 0; current instanceof Error && depth < 4; current = current.cause, depth += 1) {
    const code = (current as { code?: unknown }).code;
    if (typeof code === 'string' && /^E[A-Z]+$/.test(code)) return code;
  }
  return undefined;
}

function isConnectionError(error: unknown): boolean {
  const text = [error, error instanceof Error ? error.cause : undefined]
    .map((item) => (item instanceof Error ? `${item.name} ${item.message} ${(item as { code?: unknown }).code ?? ''}` : ''))
    .join(' ');
  return /ECONNREFUSED|ECONNRESET|ENOTFOUND|EHOSTUNREACH|fetch failed|other side closed|socket/i.test(text);
}
