import { readFile } from 'node:fs/promises';
import { fileURLToPath } from 'node:url';
import { Hono, type Context } from 'hono';
import { z } from 'zod';
import {
  IntentBatchRequestSchema,
  IntentBatchResponseSchema,
  IntentRequestSchema,
  IntentResultSchema,
  type IntentResult,
} from '@review-assistant/shared';
import type { IntentClassifier, IntentService } from '../intent/classifier.js';
import type { GatewayEnv } from '../middleware/gateway-env.js';
import type { RateLimiter } from '../limits/rate-limiter.js';
import { clientIp } from '../middleware/rate-limit.js';
import { createErrorRenderer, errorResponse } from '@review-assistant/shared/edge';
import { publicModelStatus } from './health.js';
import { addRoute, declareRoute } from './route-declaration.js';
import { contentResponse, errorResponses, jsonResponse } from './route-responses.js';

export interface IntentRoutesOptions {
  intent: IntentService;
  /** Per-client-IP budget counted in texts (`INTENT_RATE_LIMIT_PER_MINUTE`, `INTENT_RATE_LIMIT_BURST`); unset: unlimited. */
  limiter?: RateLimiter;
  /** Take the client IP from X-Forwarded-For. @default false */
  trustProxy?: boolean;
}

/** Largest request body the intent API reads (100 texts × 1000 characters fit comfortably). */
const MAX_INTENT_BODY_BYTES = 256 * 1024;

// Resolved from the package root so it works from src/ (tsx) and dist/ alike.
const pageDirectory = fileURLToPath(new URL('../../src/intent/page/', import.meta.url));
const pageAssets: Record<string, { file: string; type: string }> = {
  '/intent': { file: 'intent.html', type: 'text/html; charset=utf-8' },
  '/intent/assets/intent.js': { file: 'intent.js', type: 'text/javascript; charset=utf-8' },
  '/intent/assets/intent.css': { file: 'intent.css', type: 'text/css; charset=utf-8' },
};

const ModelInfoResponseSchema = z.object({
  status: z.object({ ready: z.boolean(), version: z.string().nullable(), message: z.string().nullable() }),
  model: z
    .object({
      version: z.string(),
      createdAt: z.string(),
      algorithm: z.string(),
      labels: z.number(),
      valMetrics: z.record(z.string(), z.number()),
    })
    .nullable(),
});

function predictOne(classifier: IntentClassifier, text: string): IntentResult {
  const started = performance.now();
  const prediction = classifier.predict(text, 5);
  const latencyMs = performance.now() - started;
  return { text, ...prediction, latencyMs: Math.round(latencyMs * 1000) / 1000 };
}

const intentErrors = errorResponses([
  [400, 'Invalid JSON or invalid input (empty, too long or non-string text)'],
  [413, 'Body larger than 256 KiB'],
  415,
  [429, 'Too many texts from this client IP (each text of a batch counts); see Retry-After'],
  [503, 'The intent model is not loaded yet (or failed to load)'],
]);

const intentRoute = declareRoute({
  method: 'post',
  path: '/api/intent',
  summary: 'Predict the intent of one text',
  tags: ['intent'],
  request: { body: IntentRequestSchema, maxBodyBytes: MAX_INTENT_BODY_BYTES },
  responses: { 200: jsonResponse('Top intent, domain, out-of-scope decision and the top-5 ranking', IntentResultSchema), ...intentErrors },
});
const intentBatchRoute = declareRoute({
  method: 'post',
  path: '/api/intent/batch',
  summary: 'Predict the intents of up to 100 texts',
  tags: ['intent'],
  request: { body: IntentBatchRequestSchema, maxBodyBytes: MAX_INTENT_BODY_BYTES },
  responses: { 200: jsonResponse('One result per text, in order', IntentBatchResponseSchema), ...intentErrors },
});
const intentModelRoute = declareRoute({
  method: 'get',
  path: '/api/intent/model',
  summary: 'Load state, version and validation metrics of the intent model',
  tags: ['intent'],
  responses: { 200: jsonResponse('Model status and info (model is null until loaded)', ModelInfoResponseSchema) },
});
const pages = Object.entries(pageAssets).map(([path, asset]) => ({
  asset,
  declaration: declareRoute({
    method: 'get',
    path,
    summary: path === '/intent' ? 'Intent test page' : `Intent test page file ${asset.file}`,
    tags: ['pages'],
    responses: { 200: contentResponse(asset.file, asset.type.split(';')[0]!) },
  }),
}));

/**
 * `POST /api/intent`, `POST /api/intent/batch`, `GET /api/intent/model` and the `GET /intent`
 * test page with its assets. Errors are rendered here, so the routes behave the same whichever app
 * mounts them.
 */
export function createIntentRoutes(options: IntentRoutesOptions): Hono {
  const routes = new Hono();
  const { intent } = options;

  // The edge kit's renderer, e.g. for the gateway's body limit, which throws while this sub-app reads the body.
  routes.onError(createErrorRenderer().onError);

  /** The loaded classifier once the client's budget covers `texts` predictions, or the error response (429/503). */
  const prepare = async (c: Context, texts: number): Promise<IntentClassifier | Response> => {
    if (options.limiter) {
      // Each text costs one token: a 100-text batch is 100 predictions of gateway CPU.
      const decision = await options.limiter.take(clientIp(c as Context<GatewayEnv>, options.trustProxy ?? false), texts);
      if (!decision.allowed) {
        c.header('Retry-After', String(decision.retryAfterSeconds));
        return errorResponse(c, 'rate_limited', `too many texts from this address; retry in ${decision.retryAfterSeconds} s`);
      }
    }
    const classifier = intent.current();
    if (classifier === undefined) return errorResponse(c, 'not_ready', publicModelStatus(intent.status()).message ?? 'the intent model is not loaded');
    return classifier;
  };

  // The body is validated (and counted as it arrives under the intent API's own limit) before these run.
  addRoute(routes, intentRoute, async (c) => {
    const input = c.req.valid('json');
    const classifier = await prepare(c, 1);
    if (classifier instanceof Response) return classifier;
    return c.json(predictOne(classifier, input.text));
  });

  addRoute(routes, intentBatchRoute, async (c) => {
    const input = c.req.valid('json');
    const classifier = await prepare(c, input.texts.length);
    if (classifier instanceof Response) return classifier;
    return c.json({ results: input.texts.map((text) => predictOne(classifier, text)) });
  });

  addRoute(routes, intentModelRoute, (c) => {
    const classifier = intent.current();
    return c.json({ status: publicModelStatus(intent.status()), model: classifier?.info ?? null });
  });

  for (const { asset, declaration } of pages) {
    addRoute(routes, declaration, async (c) => {
      const content = await readFile(`${pageDirectory}${asset.file}`, 'utf8');
      return c.body(content, 200, { 'content-type': asset.type, 'cache-control': 'no-cache' });
    });
  }

  return routes;
}
