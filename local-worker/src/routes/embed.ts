import { Hono } from 'hono';
import { EmbedRequestSchema, EmbedResponseSchema } from '@review-assistant/shared';
import type { EmbeddingModel } from '../ports.js';
import { readJsonBody } from './http-support.js';
import type { WorkerEnv } from './http-support.js';

/**
 * `POST /embed`: embeddings of one text or a list, as documents (no query instruction), with the
 * worker's current embedding model, so callers get vectors comparable to the stored ones.
 */
export function createEmbedRoutes(options: { embeddingModel: EmbeddingModel }): Hono<WorkerEnv> {
  const app = new Hono<WorkerEnv>();
  app.post('/embed', async (c) => {
    const request = await readJsonBody(c, EmbedRequestSchema);
    const inputs = typeof request.input === 'string' ? [request.input] : request.input;
    const embeddings = await options.embeddingModel.embedDocuments(inputs, c.req.raw.signal);
    return c.json(
      EmbedResponseSchema.parse({ model: options.embeddingModel.modelId, dimensions: embeddings[0]?.length ?? 0, embeddings }),
    );
  });
  return app;
}
