/**
 * Node 20 has no global `ErrorEvent` (Node 22 has), but @hono/node-ws 1.3.1 constructs one when a
 * socket errors (e.g. a frame over the size limit); without it the handler throws a ReferenceError
 * and the route's `onError` never runs. This defines the minimal shape it needs, once.
 */
export function ensureErrorEvent(): void {
  const scope = globalThis as Record<string, unknown>;
  if (typeof scope.ErrorEvent === 'function') return;
  class ErrorEventPolyfill extends Event {
    readonly error: unknown;
    readonly message: string;
    constructor(type: string, init: { error?: unknown; message?: string } = {}) {
      super(type);
      this.error = init.error;
      this.message = init.message ?? (init.error instanceof Error ? init.error.message : '');
    }
  }
  Object.defineProperty(globalThis, 'ErrorEvent', { value: ErrorEventPolyfill, configurable: true, writable: true });
}
