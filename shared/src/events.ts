import { z } from 'zod';
import { ErrorCodeSchema } from './errors.js';

export const RouteSchema = z.enum(['worker', 'smalltalk', 'decline']);
export type Route = z.infer<typeof RouteSchema>;

/** Metadata stored with every review record. `source` and `row` are always present. */
export const ReviewMetadataSchema = z
  .object({
    source: z.string(),
    row: z.number().int().nonnegative(),
    restaurant: z.string().nullish(),
    rating: z.number().nullish(),
    date: z.string().nullish(),
    title: z.string().nullish(),
    reviewer: z.string().nullish(),
    chunk: z.number().int().nonnegative().nullish(),
    chunks: z.number().int().positive().nullish(),
  })
  .catchall(z.union([z.string(), z.number(), z.boolean(), z.null()]));
export type ReviewMetadata = z.infer<typeof ReviewMetadataSchema>;

/** One retrieved review (or review chunk). `score` is in [0, 1], higher is better. */
export const SourceItemSchema = z.object({
  id: z.string(),
  score: z.number(),
  text: z.string(),
  metadata: ReviewMetadataSchema,
});
export type SourceItem = z.infer<typeof SourceItemSchema>;

export const IntentEventSchema = z.object({
  type: z.literal('intent'),
  name: z.string(),
  confidence: z.number().min(0).max(1),
  domain: z.string(),
  outOfScope: z.boolean(),
  route: RouteSchema,
});

export const SourcesEventSchema = z.object({
  type: z.literal('sources'),
  items: z.array(SourceItemSchema),
});

export const AnswerDeltaEventSchema = z.object({
  type: z.literal('answer-delta'),
  text: z.string(),
});

export const UsageSchema = z.object({
  promptTokens: z.number().int().nonnegative().nullish(),
  completionTokens: z.number().int().nonnegative().nullish(),
});

export const TimingsSchema = z
  .object({
    /** Milliseconds from request start to the first answer token. */
    firstTokenMs: z.number().nonnegative().nullish(),
    /** Milliseconds spent embedding + retrieving. */
    retrievalMs: z.number().nonnegative().nullish(),
    /** Milliseconds spent generating. */
    generationMs: z.number().nonnegative().nullish(),
    totalMs: z.number().nonnegative().nullish(),
  })
  .catchall(z.number().nullish());

export const AnswerEndEventSchema = z.object({
  type: z.literal('answer-end'),
  usage: UsageSchema,
  timings: TimingsSchema,
  /** Which backend produced the answer (`ollama`, `offline`, `gateway`). */
  backend: z.string().optional(),
  model: z.string().optional(),
});

export const ErrorEventSchema = z.object({
  type: z.literal('error'),
  code: z.union([ErrorCodeSchema, z.string()]),
  message: z.string(),
  retryable: z.boolean(),
});

/** Every event on every chat stream (NDJSON worker→gateway, WebSocket/SSE gateway→browser). */
export const StreamEventSchema = z.discriminatedUnion('type', [
  IntentEventSchema,
  SourcesEventSchema,
  AnswerDeltaEventSchema,
  AnswerEndEventSchema,
  ErrorEventSchema,
]);
export type StreamEvent = z.infer<typeof StreamEventSchema>;
export type IntentEvent = z.infer<typeof IntentEventSchema>;
export type SourcesEvent = z.infer<typeof SourcesEventSchema>;
export type AnswerDeltaEvent = z.infer<typeof AnswerDeltaEventSchema>;
export type AnswerEndEvent = z.infer<typeof AnswerEndEventSchema>;
export type ErrorEvent = z.infer<typeof ErrorEventSchema>;
