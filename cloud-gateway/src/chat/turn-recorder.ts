import type { Logger } from 'pino';
import type { Route, StreamEvent } from '@review-assistant/shared';
import type { IntentPrediction } from '../intent/classifier.js';
import { hashSessionId, truncateMessage, type InteractionRecord } from '../logs/interaction-record.js';
import type { LogStore } from '../logs/log-store.js';
import type { GatewayMetrics } from '../metrics.js';
import { outcomeLabel, outcomeStatus, type ChatChannel, type ChatTurnOutcome } from './chat-turn-outcome.js';

/** What is known when a turn starts. */
export interface TurnStart {
  requestId: string;
  sessionId: string | undefined;
  channel: ChatChannel;
  message: string;
  prediction: IntentPrediction;
  route: Route;
  logger: Logger;
}

/** One turn being recorded: fed every event the client gets, closed once with the outcome. */
export interface TurnRecording {
  observe(event: StreamEvent): void;
  workerAssigned(workerId: string): void;
  finish(outcome: ChatTurnOutcome): InteractionRecord;
}

/** Starts the recording of a chat turn (metrics, the interaction log that the admin pages read). */
export interface TurnRecorder {
  start(turn: TurnStart): TurnRecording;
}

const hundredths = (value: number) => Math.round(value * 100) / 100;

/**
 * The gateway's recorder: counts the turn in the metrics as it runs, and at the end hands its
 * interaction record to the log store. The hand-over is synchronous (the store queues the write),
 * so a shutdown that closes the store right after the last turn still stores it; a failing log
 * store is only logged. Message texts are kept only with `logMessages`; session ids are hashed.
 */
export class InteractionRecorder implements TurnRecorder {
  constructor(private readonly deps: { logStore: LogStore; metrics: GatewayMetrics; logMessages: boolean }) {}

  start(turn: TurnStart): TurnRecording {
    const { logStore, metrics, logMessages } = this.deps;
    const started = performance.now();
    const createdAt = new Date().toISOString();
    let workerId: string | null = null;
    let firstTokenMs: number | null = null;
    let answerChars = 0;
    let sources = 0;
    let backend: string | null = null;
    let finished: InteractionRecord | undefined;
    metrics.activeStreams.inc({ channel: turn.channel });
    metrics.intents.inc({ intent: turn.prediction.intent.name });
    return {
      observe(event) {
        if (event.type === 'answer-delta') {
          if (firstTokenMs === null) {
            firstTokenMs = performance.now() - started;
            metrics.timeToFirstToken.observe({ route: turn.route }, firstTokenMs / 1000);
          }
          answerChars += event.text.length;
        } else if (event.type === 'sources') sources += event.items.length;
        else if (event.type === 'answer-end') backend = event.backend ?? backend;
      },
      workerAssigned(id) {
        workerId = id;
      },
      finish(outcome) {
        if (finished) return finished;
        const latencyMs = performance.now() - started;
        const status = outcomeStatus(outcome);
        metrics.activeStreams.dec({ channel: turn.channel });
        metrics.chatTurns.inc({ channel: turn.channel, route: turn.route, status: outcomeLabel(outcome) });
        const { prediction } = turn;
        const record: InteractionRecord = {
          requestId: turn.requestId,
          sessionId: hashSessionId(turn.sessionId),
          createdAt,
          channel: turn.channel,
          intent: { name: prediction.intent.name, confidence: prediction.intent.confidence, domain: prediction.domain, outOfScope: prediction.outOfScope },
          route: turn.route,
          workerId,
          status,
          latencyMs: hundredths(latencyMs),
          timeToFirstTokenMs: firstTokenMs === null ? null : hundredths(firstTokenMs),
          answerChars,
          sources,
          ...(logMessages ? { message: truncateMessage(turn.message) } : {}),
          backend: backend ?? (turn.route === 'worker' ? null : 'gateway'),
        };
        finished = record;
        for (const observer of metrics.turnObservers) observer(record);
        logStore.append(record).catch((error: unknown) => turn.logger.warn({ err: error }, 'interaction log append failed'));
        turn.logger.debug(
          { route: turn.route, intent: prediction.intent.name, workerId, status, ms: record.latencyMs, firstTokenMs: record.timeToFirstTokenMs },
          'chat turn',
        );
        return record;
      },
    };
  }
}
