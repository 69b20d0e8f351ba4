import { Hono } from 'hono';
import { RetrieveRequestSchema, RetrieveResponseSchema } from '@review-assistant/shared';
import type { RetrieveRequest, RetrieveResponse } from '@review-assistant/shared';
import type { Retriever } from '../ports.js';
import { readJsonBody } from './http-support.js';
import type { WorkerEnv } from './http-support.js';

/**
 * The body of `POST /v1/retrieve` for a request. `npm run retrieve -- --json` prints the result of
 * this same function, so the CLI and the endpoint cannot drift apart.
 */
export async function retrieveReviews(retriever: Retriever, request: RetrieveRequest, signal?: AbortSignal): Promise<RetrieveResponse> {
  const results = await retriever.retrieve(request.query, {
    k: request.k,
    filters: request.filter,
    collection: request.collection,
    signal,
  });
  return RetrieveResponseSchema.parse({ results });
}

/** `POST /retrieve`: top-k reviews for a query (hybrid retrieval, filters, relevance floor). */
export function createRetrieveRoutes(options: { retriever: Retriever }): Hono<WorkerEnv> {
  const app = new Hono<WorkerEnv>();
  app.post('/retrieve', async (c) => {
    const request = await readJsonBody(c, RetrieveRequestSchema);
    return c.json(await retrieveReviews(options.retriever, request, c.req.raw.signal));
  });
  return app;
}
