import { Hono } from 'hono';
import { AppError, ChatRequestSchema, ndjsonLine } from '@review-assistant/shared';
import type { ChatService } from '../chat/chat-service.js';
import { toErrorEvent } from '../chat/chat-service.js';
import type { ConcurrencyGate } from '../chat/concurrency-gate.js';
import { readJsonBody } from './http-support.js';
import type { WorkerEnv } from './http-support.js';

export interface ChatRoutesOptions {
  chatService: ChatService;
  gate: ConcurrencyGate;
}

/**
 * `POST /chat`: one chat turn as an NDJSON stream of `StreamEvent`s. A full queue answers 503
 * `worker_busy` before any streaming; once streaming, failures arrive as one `error` event. The
 * stream is pulled by the client, and a client that goes away (request signal, or the response
 * stream cancelled by the HTTP server) aborts generation, which cancels the model request.
 */
export function createChatRoutes(options: ChatRoutesOptions): Hono<WorkerEnv> {
  const app = new Hono<WorkerEnv>();
  app.post('/chat', async (c) => {
    const request = await readJsonBody(c, ChatRequestSchema);
    const started = performance.now();
    const clientSignal = c.req.raw.signal;
    const release = await options.gate.acquire(clientSignal);
    const logger = c.get('logger');
    const controller = new AbortController();
    const onClientGone = () => controller.abort(new AppError('cancelled', 'client disconnected'));
    clientSignal.addEventListener('abort', onClientGone, { once: true });
    let finished = false;
    let deltas = 0;
    const finish = (outcome: string, extra: Record<string, unknown> = {}) => {
      if (finished) return;
      finished = true;
      release();
      clientSignal.removeEventListener('abort', onClientGone);
      logger.info(
        { method: 'POST', route: '/v1/chat', status: 200, ms: Math.round(performance.now() - started), outcome, deltas, ...extra },
        'request',
      );
    };
    c.set('logsOwnLine', true);
    const events = options.chatService.run(request, controller.signal);
    const encoder = new TextEncoder();
    const body = new ReadableStream<Uint8Array>({
      async pull(stream) {
        try {
          const next = await events.next();
          if (next.done) {
            finish('answered');
            stream.close();
            return;
          }
          if (next.value.type === 'answer-delta') deltas += 1;
          stream.enqueue(encoder.encode(ndjsonLine(next.value)));
        } catch (error) {
          if (controller.signal.aborted) {
            finish('cancelled');
            stream.close();
            return;
          }
          const event = toErrorEvent(error);
          if (event.code === 'internal') logger.error({ err: error }, 'chat turn failed');
          stream.enqueue(encoder.encode(ndjsonLine(event)));
          finish('error', { code: event.code });
          stream.close();
        }
      },
      cancel() {
        controller.abort(new AppError('cancelled', 'client disconnected'));
        finish('cancelled');
        void events.return(undefined).catch(() => undefined);
      },
    });
    return c.body(body, 200, {
      'content-type': 'application/x-ndjson; charset=utf-8',
      'cache-control': 'no-store',
      // proxies must pass each line on as it comes
      'x-accel-buffering': 'no',
    });
  });
  return app;
}
