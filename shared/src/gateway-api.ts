import { z } from 'zod';
import { ChatRequestSchema } from './chat.js';
import { StreamEventSchema } from './events.js';
import { BackendKindSchema } from './worker-api.js';

/** Browser → gateway messages on `WS /ws/chat`. One turn at a time per socket. */
export const WsClientMessageSchema = z.discriminatedUnion('type', [
  z.object({ type: z.literal('chat'), turnId: z.string().min(1).max(64), request: ChatRequestSchema }).strict(),
  z.object({ type: z.literal('cancel'), turnId: z.string().min(1).max(64) }).strict(),
]);
export type WsClientMessage = z.infer<typeof WsClientMessageSchema>;

/** Gateway → browser messages on `WS /ws/chat`: the same events as SSE, tagged with their turn. */
export const WsServerMessageSchema = z.object({
  turnId: z.string().nullable(),
  event: StreamEventSchema,
});
export type WsServerMessage = z.infer<typeof WsServerMessageSchema>;

/** `GET /api/status`: what the chat UI shows in its worker badge. */
export const GatewayStatusSchema = z.object({
  /** `online`: a ready worker; `warming-up`: workers exist but none ready; `offline`: none. */
  workers: z.enum(['online', 'warming-up', 'offline']),
  workersUp: z.number().int().nonnegative(),
  /** Backend of the best available worker, when one is up. */
  backend: BackendKindSchema.nullable(),
  intentModel: z.object({ ready: z.boolean(), version: z.string().nullable(), message: z.string().nullable() }),
  version: z.string(),
});
export type GatewayStatus = z.infer<typeof GatewayStatusSchema>;
