import type { InteractionRecord } from '../logs/interaction-record.js';

/** How a chat turn ended. The interaction log and `/admin` keep it as one status string. */
export type ChatTurnOutcome =
  | { kind: 'ok' }
  | { kind: 'cancelled' }
  | { kind: 'failed'; code: string; retryable: boolean };

/** The turn's channel: the chat UI (SSE or WebSocket) or one of the compatible APIs. */
export type ChatChannel = InteractionRecord['channel'];

/** The stored status: `ok`, `cancelled` or `error:<code>` (the format of the interaction log). */
export function outcomeStatus(outcome: ChatTurnOutcome): string {
  return outcome.kind === 'failed' ? `error:${outcome.code}` : outcome.kind;
}

/** The metrics label: `ok`, `cancelled` or the bare error code. */
export function outcomeLabel(outcome: ChatTurnOutcome): string {
  return outcome.kind === 'failed' ? outcome.code : outcome.kind;
}
