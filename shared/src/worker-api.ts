import { z } from 'zod';
import { ReviewFiltersSchema } from './chat.js';
import { SourceItemSchema } from './events.js';

/** Collection names follow Chroma's rules: 3-512 chars of [a-zA-Z0-9._-], alphanumeric ends. */
export const CollectionNameSchema = z
  .string()
  .regex(/^[a-zA-Z0-9][a-zA-Z0-9._-]{1,510}[a-zA-Z0-9]$/, 'collection names use 3-512 characters of a-z, A-Z, 0-9, ".", "_", "-"');

export const DEFAULT_COLLECTION = 'reviews';

export const RetrieveRequestSchema = z
  .object({
    query: z.string().trim().min(1, 'query must not be empty').max(4000),
    k: z.number().int().min(1).max(50).optional(),
    filter: ReviewFiltersSchema.optional(),
    collection: CollectionNameSchema.optional(),
  })
  .strict();
export type RetrieveRequest = z.infer<typeof RetrieveRequestSchema>;

export const RetrieveResponseSchema = z.object({
  results: z.array(SourceItemSchema),
});
export type RetrieveResponse = z.infer<typeof RetrieveResponseSchema>;

export const MAX_EMBED_INPUTS = 64;

export const EmbedRequestSchema = z
  .object({
    input: z.union([
      z.string().min(1).max(8000),
      z.array(z.string().min(1).max(8000)).min(1).max(MAX_EMBED_INPUTS),
    ]),
  })
  .strict();
export type EmbedRequest = z.infer<typeof EmbedRequestSchema>;

export const EmbedResponseSchema = z.object({
  model: z.string(),
  dimensions: z.number().int().positive(),
  embeddings: z.array(z.array(z.number())),
});
export type EmbedResponse = z.infer<typeof EmbedResponseSchema>;

export const GenerateRequestSchema = z
  .object({
    prompt: z.string().min(1).max(16000),
    system: z.string().max(8000).optional(),
    maxTokens: z.number().int().min(1).max(4096).optional(),
    temperature: z.number().min(0).max(2).optional(),
  })
  .strict();
export type GenerateRequest = z.infer<typeof GenerateRequestSchema>;

export const GenerateResponseSchema = z.object({
  model: z.string(),
  backend: z.string(),
  text: z.string(),
  usage: z.object({
    promptTokens: z.number().int().nonnegative().nullish(),
    completionTokens: z.number().int().nonnegative().nullish(),
  }),
});
export type GenerateResponse = z.infer<typeof GenerateResponseSchema>;

export const BackendKindSchema = z.enum(['ollama', 'offline']);
export type BackendKind = z.infer<typeof BackendKindSchema>;

export const ModelStatusSchema = z.object({
  name: z.string(),
  role: z.enum(['chat', 'embed']),
  /** `ready`: loaded and warm; `loading`: being pulled or loaded; `missing`; `error`. */
  state: z.enum(['ready', 'loading', 'missing', 'error', 'builtin']),
  detail: z.string().nullish(),
});
export type ModelStatus = z.infer<typeof ModelStatusSchema>;

export const WorkerStateSchema = z.enum(['ready', 'warming-up', 'degraded', 'stopping']);
export type WorkerState = z.infer<typeof WorkerStateSchema>;

/** `GET /v1/health` on the worker. */
export const WorkerHealthSchema = z.object({
  status: WorkerStateSchema,
  version: z.string(),
  workerId: z.string(),
  backend: BackendKindSchema,
  /** Why this backend was chosen (e.g. `MODEL_BACKEND=auto and Ollama unreachable at ...`). */
  backendReason: z.string(),
  models: z.array(ModelStatusSchema),
  chroma: z.object({
    ok: z.boolean(),
    url: z.string().nullish(),
    detail: z.string().nullish(),
  }),
  collections: z.record(z.string(), z.number().int().nonnegative()),
  queue: z.object({
    active: z.number().int().nonnegative(),
    waiting: z.number().int().nonnegative(),
    capacity: z.number().int().positive(),
    maxQueue: z.number().int().nonnegative(),
  }),
  uptimeSeconds: z.number().nonnegative(),
});
export type WorkerHealth = z.infer<typeof WorkerHealthSchema>;

/** Signed `POST /internal/workers/heartbeat` body, worker → gateway (direct, not via the tunnel). */
export const HeartbeatSchema = z
  .object({
    workerId: z.string().min(1).max(128),
    /** Where the gateway reaches this worker (the ngrok URL, or a loopback URL without a tunnel). */
    url: z.url(),
    backend: BackendKindSchema,
    state: WorkerStateSchema,
    models: z.array(ModelStatusSchema).max(20),
    queueDepth: z.number().int().nonnegative(),
    active: z.number().int().nonnegative(),
    capacity: z.number().int().positive(),
    version: z.string().max(64),
    /** Seconds the gateway should wait before expecting the next heartbeat. */
    intervalSeconds: z.number().positive().max(300),
    /** `true` in the last heartbeat of a worker that is shutting down. */
    goodbye: z.boolean().optional(),
  })
  .strict();
export type Heartbeat = z.infer<typeof HeartbeatSchema>;
