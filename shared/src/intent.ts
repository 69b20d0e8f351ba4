import { z } from 'zod';

export const MAX_INTENT_TEXT_CHARS = 1000;
export const MAX_INTENT_BATCH = 100;

const intentText = z
  .string({ error: 'text must be a string' })
  .trim()
  .min(1, 'text must not be empty')
  .max(MAX_INTENT_TEXT_CHARS, `text must be at most ${MAX_INTENT_TEXT_CHARS} characters`);

export const IntentRequestSchema = z.object({ text: intentText }).strict();
export type IntentRequest = z.infer<typeof IntentRequestSchema>;

export const IntentBatchRequestSchema = z
  .object({
    texts: z
      .array(intentText)
      .min(1, 'texts must hold at least one text')
      .max(MAX_INTENT_BATCH, `texts may hold at most ${MAX_INTENT_BATCH} texts`),
  })
  .strict();
export type IntentBatchRequest = z.infer<typeof IntentBatchRequestSchema>;

export const ScoredIntentSchema = z.object({
  name: z.string(),
  confidence: z.number().min(0).max(1),
});
export type ScoredIntent = z.infer<typeof ScoredIntentSchema>;

export const IntentResultSchema = z.object({
  text: z.string(),
  intent: ScoredIntentSchema,
  domain: z.string(),
  outOfScope: z.boolean(),
  ranking: z.array(ScoredIntentSchema),
  latencyMs: z.number().nonnegative(),
});
export type IntentResult = z.infer<typeof IntentResultSchema>;

export const IntentBatchResponseSchema = z.object({
  results: z.array(IntentResultSchema),
});
export type IntentBatchResponse = z.infer<typeof IntentBatchResponseSchema>;
