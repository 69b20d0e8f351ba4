import { z } from 'zod';

/** Longest chat message accepted from a user, in characters. */
export const MAX_MESSAGE_CHARS = 4000;
/** Most history turns a client may send with a message. */
export const MAX_HISTORY_TURNS = 20;

export const ChatRoleSchema = z.enum(['user', 'assistant']);

export const ChatTurnSchema = z.object({
  role: ChatRoleSchema,
  content: z.string().max(MAX_MESSAGE_CHARS * 2),
});
export type ChatTurn = z.infer<typeof ChatTurnSchema>;

const isoDate = z
  .string()
  .regex(/^\d{4}-\d{2}-\d{2}/, 'expected an ISO date such as 2024-05-31');

/** Metadata filters a client may put on retrieval. */
export const ReviewFiltersSchema = z
  .object({
    restaurant: z.string().min(1).max(200).optional(),
    minRating: z.number().min(0).max(5).optional(),
    maxRating: z.number().min(0).max(5).optional(),
    from: isoDate.optional(),
    to: isoDate.optional(),
  })
  .strict();
export type ReviewFilters = z.infer<typeof ReviewFiltersSchema>;

/** Generation settings a client may ask for (the OpenAI- and Ollama-compatible APIs pass theirs on). */
export const GenerationOptionsSchema = z
  .object({
    /** Most answer tokens to generate. */
    maxTokens: z.number().int().min(1).max(4096).optional(),
    /** Sampling temperature; unset: the worker's default. */
    temperature: z.number().min(0).max(2).optional(),
  })
  .strict();
export type GenerationOptions = z.infer<typeof GenerationOptionsSchema>;

/** Chat request: browser → gateway, and inside the gateway → worker request. */
export const ChatRequestSchema = z
  .object({
    message: z
      .string()
      .trim()
      .min(1, 'message must not be empty')
      .max(MAX_MESSAGE_CHARS, `message must be at most ${MAX_MESSAGE_CHARS} characters`),
    sessionId: z.string().min(1).max(128).optional(),
    history: z.array(ChatTurnSchema).max(MAX_HISTORY_TURNS).optional(),
    filters: ReviewFiltersSchema.optional(),
    k: z.number().int().min(1).max(50).optional(),
    generation: GenerationOptionsSchema.optional(),
  })
  .strict();
export type ChatRequest = z.infer<typeof ChatRequestSchema>;
