import type { Logger } from 'pino';
import { AppError, publicErrorMessage, type ChatRequest, type Route, type StreamEvent } from '@review-assistant/shared';
import type { IntentPrediction, IntentService } from '../intent/classifier.js';
import type { WorkerPool } from '../pool/worker-pool.js';
import type { WorkerReservation } from '../pool/worker-reservation.js';
import type { RouteDecision, RoutingPolicy } from '../routing/policy.js';
import type { ChatChannel, ChatTurnOutcome } from './chat-turn-outcome.js';
import type { TurnRecorder } from './turn-recorder.js';

export interface ChatTurnDeps {
  intent: IntentService;
  policy: RoutingPolicy;
  pool: WorkerPool;
  /** Records every turn (metrics, recent requests, interaction log). */
  recorder: TurnRecorder;
}

export interface ChatTurnContext {
  requestId: string;
  channel: ChatChannel;
  /** Aborted when the client disconnects or cancels; the worker request is aborted with it. */
  signal: AbortSignal;
  logger: Logger;
  /** What admission (`admitTurn`) decided for this request; the intent is not predicted again. */
  admitted: AdmittedTurn;
}

/** A request's predicted intent and the routing policy's decision. */
export interface DecidedRoute {
  prediction: IntentPrediction;
  decision: RouteDecision;
}

/** A turn the gateway admitted: its route and, for a worker turn, the pool capacity reserved for it. */
export interface AdmittedTurn extends DecidedRoute {
  /**
   * The slot or queue place taken for a worker turn (none when the pool had no worker to try: the
   * turn then reports `no_worker`). The turn hands it to the worker stream or releases it, however
   * it ends; it is also released when the turn's signal aborts, so a turn that never starts (its
   * client left before the stream opened) gives it back too (a second release is ignored).
   */
  reservation?: WorkerReservation;
}

/** Admission's answer: the turn may run, or is refused before any stream opens. */
export type TurnAdmission = { admitted: AdmittedTurn; refusal?: never } | { refusal: AppError; admitted?: never };

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

/**
 * Predicts the intent of the message and applies the routing policy, which also sees the
 * conversation before it; any failure there sends the turn to a worker.
 */
function decideRoute(
  deps: Pick<ChatTurnDeps, 'intent' | 'policy'>,
  request: Pick<ChatRequest, 'message' | 'history'>,
  logger: Logger,
): DecidedRoute {
  const classifier = deps.intent.current();
  if (!classifier) return { prediction: UNKNOWN_PREDICTION, decision: { route: 'worker' } };
  try {
    const prediction = classifier.predict(request.message);
    return { prediction, decision: deps.policy.decide(prediction, request.message, request.history) };
  } catch (error) {
    logger.warn({ err: error }, 'intent prediction failed; routing to a worker');
    return { prediction: UNKNOWN_PREDICTION, decision: { route: 'worker' } };
  }
}

/** Seconds a shed client is asked to wait: a turn takes a few seconds, so a slot is likely free by then. */
export const BUSY_RETRY_AFTER_SECONDS = 2;

/**
 * Admits a chat turn, synchronously, before any stream opens: predicts its intent and route and,
 * when it needs a worker, reserves a slot or a queue place for it in the pool (`WorkerPool.admit`),
 * so a burst cannot pass the check all at once and then find no room. Refuses with `worker_busy`
 * when every worker is full; the gateway answers small talk and declines itself, so those are
 * never refused. Every chat channel admits its turns here and hands `admitted` to `runChatTurn`
 * with the same `signal` (the one that follows the client): when it aborts, the reservation goes
 * back whether or not the turn ever started.
 */
export function admitTurn(deps: Pick<ChatTurnDeps, 'intent' | 'policy' | 'pool'>, request: Pick<ChatRequest, 'message' | 'history'>, logger: Logger, signal: AbortSignal): TurnAdmission {
  const decided = decideRoute(deps, request, logger);
  if (decided.decision.route !== 'worker') return { admitted: decided };
  const admission = deps.pool.admit();
  if (admission.kind === 'busy') return { refusal: new AppError('worker_busy', `every worker is busy; retry in ${BUSY_RETRY_AFTER_SECONDS} s`) };
  if (admission.kind === 'no-worker') return { admitted: decided };
  const { reservation } = admission;
  if (signal.aborted) reservation.release();
  else signal.addEventListener('abort', () => reservation.release(), { once: true });
  return { admitted: { ...decided, reservation } };
}

/**
 * One chat turn as a stream of events: first `intent`, then either the gateway's own reply
 * (small talk, decline) or the worker's relayed events, or an `error` event. Never throws; the
 * recorder sees every event and is closed with the turn's outcome whatever happened.
 */
export async function* runChatTurn(deps: ChatTurnDeps, request: ChatRequest, context: ChatTurnContext): AsyncGenerator<StreamEvent> {
  const started = performance.now();
  const { prediction, decision } = context.admitted;
  // Held until the worker stream takes it over (`openChat`); released below if the turn ends first.
  let reservation = context.admitted.reservation;
  const recording = deps.recorder.start({
    requestId: context.requestId,
    sessionId: request.sessionId,
    channel: context.channel,
    message: request.message,
    prediction,
    route: decision.route,
    logger: context.logger,
  });
  let outcome: ChatTurnOutcome = { kind: 'ok' };
  const note = (event: StreamEvent): StreamEvent => {
    recording.observe(event);
    if (event.type === 'error') {
      outcome = { kind: 'failed', code: event.code, retryable: event.retryable };
      // The client sees the code's public text; the worker's or network's own words go to the log.
      const message = publicErrorMessage(event.code, event.message);
      if (message !== event.message) {
        context.logger.warn({ code: event.code, reason: event.message }, 'chat turn failed');
        return { ...event, message };
      }
    }
    return event;
  };
  try {
    yield note({
      type: 'intent',
      name: prediction.intent.name,
      confidence: prediction.intent.confidence,
      domain: prediction.domain,
      outOfScope: prediction.outOfScope,
      route: decision.route,
    });
    if (decision.route !== 'worker') {
      yield note({ type: 'answer-delta', text: decision.reply ?? fallbackReplies[decision.route] });
      yield note({ type: 'answer-end', usage: { promptTokens: null, completionTokens: null }, timings: { totalMs: performance.now() - started }, backend: 'gateway' });
      return;
    }
    let stream;
    const reserved = reservation;
    reservation = undefined;
    try {
      stream = await deps.pool.openChat(request, { requestId: context.requestId, signal: context.signal, intent: prediction.intent.name }, reserved);
    } catch (error) {
      if (context.signal.aborted) return;
      const failure = error instanceof AppError ? error : new AppError('worker_unavailable', 'the worker request failed', { cause: error });
      if (!(error instanceof AppError)) context.logger.error({ err: error }, 'worker request failed unexpectedly');
      yield note({ type: 'error', code: failure.code, message: failure.message, retryable: failure.isRetryable });
      return;
    }
    recording.workerAssigned(stream.workerId);
    for await (const event of stream.events) {
      if (context.signal.aborted) break;
      yield note(event);
    }
  } finally {
    reservation?.release();
    // A turn the client abandoned counts as cancelled unless it had already failed.
    if (context.signal.aborted && outcome.kind === 'ok') outcome = { kind: 'cancelled' };
    recording.finish(outcome);
  }
}
