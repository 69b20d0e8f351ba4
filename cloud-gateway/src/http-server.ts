import { createServer, type Server } from 'node:http';
import { getRequestListener } from '@hono/node-server';
import { answerMalformedRequests, malformedRequestResponse } from '@review-assistant/shared';
import { EdgeServerResponse } from '@review-assistant/shared/edge';
import type { GatewayApp } from './app.js';

/**
 * Serves the gateway app on Node (Hono's adapter, its WebSocket upgrade attached) and resolves
 * once it listens. Requests too broken to reach the app (a backslash in the path, an unknown
 * method, headers over the limit) are still answered in the error shape.
 */
export async function listenGateway(gateway: GatewayApp, port: number, host: string): Promise<Server> {
  // EdgeServerResponse: the headers every response carries go out in its one `writeHead`.
  const server = createServer({ ServerResponse: EdgeServerResponse }, getRequestListener(gateway.app.fetch, { hostname: host, errorHandler: malformedRequestResponse }));
  answerMalformedRequests(server);
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, host, () => {
      server.off('error', reject);
      resolve();
    });
  });
  gateway.injectWebSocket(server);
  return server;
}
