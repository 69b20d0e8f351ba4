import { z } from 'zod';
import { BackendKindSchema, ModelStatusSchema, RouteSchema } from '@review-assistant/shared';
import type { Analytics } from '../logs/analytics.js';
import type { RoutedRequest, WorkerSnapshot } from '../pool/types.js';

/*
 * What the admin API answers, for its declarations in /openapi.json. Each schema is typed with the
 * TypeScript type the handler returns, so a field added to one and not the other fails the build.
 */

export const WorkerSnapshotSchema: z.ZodType<WorkerSnapshot> = z.object({
  id: z.string(),
  url: z.string(),
  source: z.enum(['static', 'heartbeat']),
  state: z.enum(['ready', 'warming-up', 'degraded', 'stopping', 'unknown']),
  breaker: z.enum(['closed', 'open', 'half-open', 'isolated']),
  up: z.boolean(),
  active: z.number().int(),
  queue: z.number().int(),
  capacity: z.number().int(),
  backend: BackendKindSchema.nullable(),
  models: z.array(ModelStatusSchema),
  lastHeartbeatAt: z.string().nullable(),
  lastError: z.string().nullable(),
});

export const RoutedRequestSchema: z.ZodType<RoutedRequest> = z.object({
  time: z.string(),
  requestId: z.string(),
  workerId: z.string().nullable(),
  route: z.union([RouteSchema, z.literal('api')]),
  intent: z.string().nullable(),
  status: z.string().describe('`ok`, `error:<code>` or `cancelled`'),
  ms: z.number(),
});

const PercentilesSchema = z.object({ p50: z.number().nullable(), p95: z.number().nullable() });
const CountsSchema = z.record(z.string(), z.number().int());

export const AnalyticsSchema: z.ZodType<Analytics> = z.object({
  from: z.string(),
  to: z.string(),
  turns: z.number().int(),
  byRoute: CountsSchema,
  byIntent: CountsSchema,
  byChannel: CountsSchema,
  latencyMs: PercentilesSchema,
  timeToFirstTokenMs: PercentilesSchema.describe('Over the turns that produced an answer token'),
  errors: CountsSchema.describe('Failed turns per error code'),
  byWorker: CountsSchema,
  series: z.array(z.object({ hour: z.string(), turns: z.number().int(), errors: z.number().int() })).describe('One bucket per hour of the range'),
});
