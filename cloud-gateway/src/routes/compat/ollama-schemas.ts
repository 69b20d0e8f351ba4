import { z } from 'zod';
import { MAX_EMBED_INPUTS } from '@review-assistant/shared';

/*
 * Request bodies of Ollama's `/api/chat` and `/api/embed` (docs/api.md of ollama/ollama), as far
 * as the assistant serves them. Loose objects: `keep_alive`, `think`, `truncate` and model options
 * that do not change a grounded answer are accepted and ignored; tools and structured output are refused.
 */

export const OllamaMessageSchema = z
  .object({
    role: z.enum(['system', 'user', 'assistant'], { error: 'role must be "system", "user" or "assistant" (tool messages are not supported)' }),
    content: z.string(),
    images: z.array(z.string()).max(0, 'images are not supported').nullish(),
  })
  .loose();

export const OllamaChatRequestSchema = z
  .object({
    model: z.string().min(1).max(256),
    messages: z.array(OllamaMessageSchema).min(1, 'messages must not be empty').max(500),
    /** Ollama streams unless `stream` is false. */
    stream: z.boolean().nullish(),
    options: z
      .object({
        temperature: z.number().min(0).max(2).nullish(),
        num_predict: z.number().int().nullish(),
        stop: z.array(z.string().max(200)).max(4).nullish(),
      })
      .loose()
      .nullish(),
    format: z.unknown().refine((value) => value === undefined || value === null || value === '', 'format: structured output is not supported').optional(),
    tools: z.array(z.unknown()).max(0, 'tools: tool calling is not supported').nullish(),
  })
  .loose();
export type OllamaChatRequest = z.infer<typeof OllamaChatRequestSchema>;

export const OllamaEmbedRequestSchema = z
  .object({
    model: z.string().min(1).max(256),
    input: z.union([z.string().min(1).max(8000), z.array(z.string().min(1).max(8000)).min(1).max(MAX_EMBED_INPUTS)], {
      error: `input must be a non-empty string or an array of 1 to ${MAX_EMBED_INPUTS} non-empty strings`,
    }),
  })
  .loose();
