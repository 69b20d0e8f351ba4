import { hash } from 'node:crypto';
import { z } from 'zod';
import { RouteSchema } from '@review-assistant/shared';

/** Longest message excerpt kept in a log record, in characters. */
export const MAX_LOGGED_MESSAGE_CHARS = 500;

/**
 * One chat turn in the interaction log. No secrets and, by default, no text a user typed: the
 * message is kept (truncated) only with `LOG_MESSAGES=true`, and the session id only as a hash.
 * Headers, keys and signatures never are.
 */
export const InteractionRecordSchema = z.object({
  requestId: z.string(),
  /** Hash of the client-chosen session id (`hashSessionId`); `anonymous` when the client sent none. */
  sessionId: z.string(),
  /** ISO time the turn started. */
  createdAt: z.string(),
  /** Where the turn came from: the chat UI (`sse`, `ws`) or a compatible API (`openai`, `ollama`). */
  channel: z.enum(['sse', 'ws', 'openai', 'ollama']),
  intent: z.object({ name: z.string(), confidence: z.number(), domain: z.string(), outOfScope: z.boolean() }),
  route: RouteSchema,
  workerId: z.string().nullable(),
  /** `ok`, `cancelled`, or the error code of the turn. */
  status: z.string(),
  latencyMs: z.number().nonnegative(),
  timeToFirstTokenMs: z.number().nonnegative().nullable(),
  answerChars: z.number().int().nonnegative(),
  sources: z.number().int().nonnegative(),
  /** The user's message, truncated; only with `LOG_MESSAGES=true`. */
  message: z.string().max(MAX_LOGGED_MESSAGE_CHARS + 1).optional(),
  backend: z.string().nullable(),
});
export type InteractionRecord = z.infer<typeof InteractionRecordSchema>;

export function truncateMessage(message: string): string {
  return message.length > MAX_LOGGED_MESSAGE_CHARS ? `${message.slice(0, MAX_LOGGED_MESSAGE_CHARS)}…` : message;
}

/**
 * The session id as stored: the first 32 hex digits of its SHA-256, so turns of one session still
 * group together (across gateways too) while the id a client holds never reaches the log.
 */
export function hashSessionId(sessionId: string | undefined): string {
  return sessionId === undefined ? 'anonymous' : hash('sha256', sessionId, 'hex').slice(0, 32);
}
