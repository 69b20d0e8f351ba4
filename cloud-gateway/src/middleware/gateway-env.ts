import type { IncomingMessage } from 'node:http';
import type { Logger } from 'pino';
import type { FailedAttempts } from './token-auth.js';

/** Hono environment of the gateway: per-request variables and the Node bindings. */
export interface GatewayEnv {
  Variables: {
    requestId: string;
    /** Child logger carrying the request id. */
    logger: Logger;
    /** Set by `apiKeyAuth`: a short digest naming the caller's key (never the key itself), for per-key limits. */
    apiKeyId: string;
    /** The app's one count of failed credential attempts per client IP (see `requireToken`). */
    failedAttempts: FailedAttempts;
    /** The viewer's address as the trusted edge reports it (`viewerAddressFromEdge`); `clientIp` prefers it. */
    viewerAddress: string | undefined;
  };
  Bindings: {
    /** Set by @hono/node-server; absent under `app.request()` in tests. */
    incoming?: IncomingMessage;
  };
}
