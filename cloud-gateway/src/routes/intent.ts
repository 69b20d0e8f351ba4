import { readFile } from 'node:fs/promises';
import { fileURLToPath } from 'node:url';
import { OpenAPIHono, z } from '@hono/zod-openapi';
import type { Context } from 'hono';
import {
  ErrorBodySchema,
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
import { createErrorRenderer, errorResponse, parseJsonBody } from '@review-assistant/shared/edge';
import { publicModelStatus } from './health.js';

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

const errorResponses = {
  400: { description: 'Invalid JSON or invalid input (empty, too long or non-string text)', content: { 'application/json': { schema: ErrorBodySchema } } },
  413: { description: 'Body larger than 256 KiB', content: { 'application/json': { schema: ErrorBodySchema } } },
  415: { description: 'Body is not JSON', content: { 'application/json': { schema: ErrorBodySchema } } },
  429: { description: 'Too many texts from this client IP (each text of a batch counts); see Retry-After', content: { 'application/json': { schema: ErrorBodySchema } } },
  503: { description: 'The intent model is not loaded yet (or failed to load)', content: { 'application/json': { schema: ErrorBodySchema } } },
};

/**
 * `POST /api/intent`, `POST /api/intent/batch`, `GET /api/intent/model` and the `GET /intent`
 * test page with its assets. An OpenAPIHono sub-app: mounting it with `app.route('/', ...)` on an
 * OpenAPIHono app adds these paths to /openapi.json. Errors are rendered here, so the routes
 * behave the same whichever app mounts them.
 */
export function createIntentRoutes(options: IntentRoutesOptions): OpenAPIHono {
  const routes = new OpenAPIHono();
  const { intent } = options;

  // The edge kit's renderer, e.g. for the gateway's body limit, which throws while this sub-app reads the body.
  routes.onError(createErrorRenderer().onError);

  /** The parsed, validated body and the loaded classifier, or the error response (415/413/400/503). */
  const prepare = async <S extends z.ZodType>(
    c: Context,
    schema: S,
    texts: (input: z.output<S>) => number,
  ): Promise<{ input: z.output<S>; classifier: IntentClassifier } | Response> => {
    // Counted as it arrives under the intent API's own limit: 413 the moment the body passes it.
    const input = await parseJsonBody(c, schema, { maxBytes: MAX_INTENT_BODY_BYTES });
    if (options.limiter) {
      // Each text costs one token: a 100-text batch is 100 predictions of gateway CPU.
      const decision = await options.limiter.take(clientIp(c as Context<GatewayEnv>, options.trustProxy ?? false), texts(input));
      if (!decision.allowed) {
        c.header('Retry-After', String(decision.retryAfterSeconds));
        return errorResponse(c, 'rate_limited', `too many texts from this address; retry in ${decision.retryAfterSeconds} s`);
      }
    }
    const classifier = intent.current();
    if (classifier === undefined) return errorResponse(c, 'not_ready', publicModelStatus(intent.status()).message ?? 'the intent model is not loaded');
    return { input, classifier };
  };

  routes.openAPIRegistry.registerPath({
    method: 'post',
    path: '/api/intent',
    summary: 'Predict the intent of one text',
    tags: ['intent'],
    request: { body: { content: { 'application/json': { schema: IntentRequestSchema } }, required: true } },
    responses: { 200: { description: 'Top intent, domain, out-of-scope decision and the top-5 ranking', content: { 'application/json': { schema: IntentResultSchema } } }, ...errorResponses },
  });
  routes.post('/api/intent', async (c) => {
    const prepared = await prepare(c, IntentRequestSchema, () => 1);
    if (prepared instanceof Response) return prepared;
    return c.json(predictOne(prepared.classifier, prepared.input.text));
  });

  routes.openAPIRegistry.registerPath({
    method: 'post',
    path: '/api/intent/batch',
    summary: 'Predict the intents of up to 100 texts',
    tags: ['intent'],
    request: { body: { content: { 'application/json': { schema: IntentBatchRequestSchema } }, required: true } },
    responses: { 200: { description: 'One result per text, in order', content: { 'application/json': { schema: IntentBatchResponseSchema } } }, ...errorResponses },
  });
  routes.post('/api/intent/batch', async (c) => {
    const prepared = await prepare(c, IntentBatchRequestSchema, (input) => input.texts.length);
    if (prepared instanceof Response) return prepared;
    return c.json({ results: prepared.input.texts.map((text) => predictOne(prepared.classifier, text)) });
  });

  routes.openAPIRegistry.registerPath({
    method: 'get',
    path: '/api/intent/model',
    summary: 'Load state, version and validation metrics of the intent model',
    tags: ['intent'],
    responses: { 200: { description: 'Model status and info (model is null until loaded)', content: { 'application/json': { schema: ModelInfoResponseSchema } } } },
  });
  routes.get('/api/intent/model', (c) => {
    const classifier = intent.current();
    return c.json({ status: publicModelStatus(intent.status()), model: classifier?.info ?? null });
  });

  for (const [path, asset] of Object.entries(pageAssets)) {
    routes.get(path, async (c) => {
      const content = await readFile(`${pageDirectory}${asset.file}`, 'utf8');
      return c.body(content, 200, { 'content-type': asset.type, 'cache-control': 'no-cache' });
    });
  }

  return routes;
}
