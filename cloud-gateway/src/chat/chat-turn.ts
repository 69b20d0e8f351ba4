import type { Logger } from 'pino';
import { AppError, type ChatRequest, type IntentEvent, type Route, type StreamEvent } from '@review-assistant/shared';
import type { IntentPrediction, IntentService } from '../intent/classifier.js';
import { truncateMessage, type InteractionRecord } from '../logs/interaction-record.js';
import type { LogStore } from '../logs/log-store.js';
import type { GatewayMetrics } from '../metrics.js';
import type { RecentRequests } from '../pool/recent-requests.js';
import type { WorkerPool } from '../pool/worker-pool.js';
import type { RouteDecision, RoutingPolicy } from '../routing/policy.js';

export interface ChatTurnDeps {
  intent: IntentService;
  policy: RoutingPolicy;
  pool: WorkerPool;
  logStore: LogStore;
  metrics: GatewayMetrics;
  recentRequests: RecentRequests;
}

export interface ChatTurnContext {
  requestId: string;
  channel: 'sse' | 'ws';
  /** Aborted when the client disconnects or cancels; the worker request is aborted with it. */
  signal: AbortSignal;
  logger: Logger;
}

/** What the turn uses when the intent model is not loaded: low confidence, so the worker answers. */
const UNKNOWN_PREDICTION: IntentPrediction = {
  intent: { name: 'unknown', confidence: 0 },
  domain: 'unknown',
  outOfScope: false,
  ranking: [],
};

const fallbackReplies: Record<Exclude<Route, 'worker'>, string> = {
  smalltalk: 'Hello! Ask me anything about the restaurant reviews.',
  decline: 'I can only help with questions about restaurant reviews.',
};

/** Predicts the intent and applies the routing policy; any failure there sends the turn to a worker. */
function decideRoute(
  deps: Pick<ChatTurnDeps, 'intent' | 'policy'>,
  message: string,
  logger: Logger,
): { prediction: IntentPrediction; decision: RouteDecision } {
  const classifier = deps.intent.current();
  if (!classifier) return { prediction: UNKNOWN_PREDICTION, decision: { route: 'worker' } };
  try {
    const prediction = classifier.predict(message);
    return { prediction, decision: deps.policy.decide(prediction, message) };
  } catch (error) {
    logger.warn({ err: error }, 'intent prediction failed; routing to a worker');
    return { prediction: UNKNOWN_PREDICTION, decision: { route: 'worker' } };
  }
}

/**
 * One chat turn as a stream of events: first `intent`, then either the gateway's own reply
 * (small talk, decline) or the worker's relayed events, or an `error` event. Never throws; the
 * interaction record is appended at the end whatever happened (a logging failure is only logged).
 */
export async function* runChatTurn(deps: ChatTurnDeps, request: ChatRequest, context: ChatTurnContext): AsyncGenerator<StreamEvent> {
  const started = performance.now();
  const createdAt = new Date().toISOString();
  const { prediction, decision } = decideRoute(deps, request.message, context.logger);
  let status = 'ok';
  let workerId: string | null = null;
  let firstTokenMs: number | null = null;
  let answerChars = 0;
  let sources = 0;
  let backend: string | null = null;
  deps.metrics.activeStreams.inc({ channel: context.channel });
  deps.metrics.intents.inc({ intent: prediction.intent.name });
  const noteEvent = (event: StreamEvent) => {
    if (event.type === 'answer-delta') {
      if (firstTokenMs === null) {
        firstTokenMs = performance.now() - started;
        deps.metrics.timeToFirstToken.observe({ route: decision.route }, firstTokenMs / 1000);
      }
      answerChars += event.text.length;
    } else if (event.type === 'sources') sources += event.items.length;
    else if (event.type === 'answer-end') backend = event.backend ?? backend;
    else if (event.type === 'error') status = `error:${event.code}`;
  };
  try {
    const intentEvent: IntentEvent = {
      type: 'intent',
      name: prediction.intent.name,
      confidence: prediction.intent.confidence,
      domain: prediction.domain,
      outOfScope: prediction.outOfScope,
      route: decision.route,
    };
    yield intentEvent;
    if (decision.route !== 'worker') {
      const reply = decision.reply ?? fallbackReplies[decision.route];
      const events: StreamEvent[] = [
        { type: 'answer-delta', text: reply },
        { type: 'answer-end', usage: { promptTokens: null, completionTokens: null }, timings: { totalMs: performance.now() - started }, backend: 'gateway' },
      ];
      for (const event of events) {
        noteEvent(event);
        yield event;
      }
      return;
    }
    let stream;
    try {
      stream = await deps.pool.openChat(request, { requestId: context.requestId, signal: context.signal, intent: prediction.intent.name });
    } catch (error) {
      if (context.signal.aborted) {
        status = 'cancelled';
        return;
      }
      const failure = error instanceof AppError ? error : new AppError('worker_unavailable', 'the worker request failed', { cause: error });
      if (!(error instanceof AppError)) context.logger.error({ err: error }, 'worker request failed unexpectedly');
      const event: StreamEvent = { type: 'error', code: failure.code, message: failure.message, retryable: failure.isRetryable };
      noteEvent(event);
      yield event;
      return;
    }
    workerId = stream.workerId;
    for await (const event of stream.events) {
      if (context.signal.aborted) break;
      noteEvent(event);
      yield event;
    }
    if (context.signal.aborted) status = 'cancelled';
  } finally {
    if (context.signal.aborted && status === 'ok') status = 'cancelled';
    const latencyMs = performance.now() - started;
    deps.metrics.activeStreams.dec({ channel: context.channel });
    deps.metrics.chatTurns.inc({ route: decision.route, status: status.startsWith('error:') ? status.slice(6) : status });
    deps.recentRequests.add({
      time: createdAt,
      requestId: context.requestId,
      workerId,
      route: decision.route,
      intent: prediction.intent.name,
      status,
      ms: Math.round(latencyMs),
    });
    const record: InteractionRecord = {
      requestId: context.requestId,
      sessionId: request.sessionId ?? 'anonymous',
      createdAt,
      channel: context.channel,
      intent: { name: prediction.intent.name, confidence: prediction.intent.confidence, domain: prediction.domain, outOfScope: prediction.outOfScope },
      route: decision.route,
      workerId,
      status,
      latencyMs: Math.round(latencyMs * 100) / 100,
      timeToFirstTokenMs: firstTokenMs === null ? null : Math.round((firstTokenMs as number) * 100) / 100,
      answerChars,
      sources,
      message: truncateMessage(request.message),
      backend: backend ?? (decision.route === 'worker' ? null : 'gateway'),
    };
    // Appended on the next turn of the event loop: the client's stream ends first, the record never waits.
    setImmediate(() => {
      deps.logStore.append(record).catch((error: unknown) => context.logger.warn({ err: error }, 'interaction log append failed'));
    });
    context.logger.debug(
      { route: decision.route, intent: prediction.intent.name, workerId, status, ms: record.latencyMs, firstTokenMs: record.timeToFirstTokenMs },
      'chat turn',
    );
  }
}
