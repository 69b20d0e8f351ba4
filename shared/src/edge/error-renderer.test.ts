import { Hono } from 'hono';
import { HTTPException } from 'hono/http-exception';
import { describe, expect, it } from 'vitest';
import { AppError } from '../errors.js';
import { createErrorRenderer, errorResponse, type ErrorRendererOptions } from './error-renderer.js';

interface Logged {
  level: 'info' | 'error';
  object: Record<string, unknown>;
  message: string;
}

const secretText = 'Ollama is unreachable at http://10.0.0.7:11434';

function build(options: ErrorRendererOptions = {}) {
  const logged: Logged[] = [];
  const logger = {
    info: (object: object, message: string) => logged.push({ level: 'info', object: object as Record<string, unknown>, message }),
    error: (object: object, message: string) => logged.push({ level: 'error', object: object as Record<string, unknown>, message }),
  };
  type TestEnv = { Variables: { requestId: string; logger: typeof logger } };
  const app = new Hono<TestEnv>();
  app.use(async (c, next) => {
    c.set('requestId', 'r-1');
    c.set('logger', logger);
    await next();
  });
  const errors = createErrorRenderer<TestEnv>(options);
  app.onError(errors.onError);
  app.notFound(errors.notFound);
  app.get('/app-5xx', () => {
    throw new AppError('model_unavailable', secretText);
  });
  app.get('/app-4xx', () => {
    throw new AppError('validation_failed', 'text: required');
  });
  app.get('/unexpected', () => {
    throw new Error(`connect ECONNREFUSED ${secretText}`);
  });
  app.get('/http-json', () => {
    throw new HTTPException(400, { message: 'Malformed JSON in request body' });
  });
  app.get('/busy', () => {
    throw new AppError('worker_busy', 'two answers running');
  });
  app.get('/v1/app-4xx', () => {
    throw new AppError('rate_limited', 'slow down');
  });
  app.get('/refuse', (c) => errorResponse(c, 'not_ready', 'the intent model is loading'));
  return { app, logged };
}

async function errorOf(response: Response): Promise<unknown> {
  return ((await response.json()) as { error: unknown }).error;
}

describe('createErrorRenderer', () => {
  it('answers server-side AppErrors with their code\'s public text and logs the cause at error', async () => {
    const { app, logged } = build();
    const response = await app.request('/app-5xx');
    expect(response.status).toBe(503);
    const text = await response.text();
    expect(text).not.toContain('10.0.0.7');
    expect(JSON.parse(text)).toEqual({ error: { code: 'model_unavailable', message: expect.stringMatching(/not available/), requestId: 'r-1' } });
    expect(logged).toEqual([{ level: 'error', object: expect.objectContaining({ code: 'model_unavailable', reason: secretText, err: expect.any(AppError) }), message: 'request failed' }]);
  });

  it('keeps client errors\' messages and logs them at info', async () => {
    const { app, logged } = build();
    const response = await app.request('/app-4xx');
    expect(response.status).toBe(400);
    expect(await errorOf(response)).toEqual({ code: 'validation_failed', message: 'text: required', requestId: 'r-1' });
    expect(logged).toEqual([{ level: 'info', object: { code: 'validation_failed', reason: 'text: required' }, message: 'request rejected' }]);
  });

  it('never shows an unexpected error\'s own text', async () => {
    const { app, logged } = build({ internalMessage: 'see the log' });
    const response = await app.request('/unexpected');
    expect(response.status).toBe(500);
    expect(await errorOf(response)).toEqual({ code: 'internal', message: 'see the log', requestId: 'r-1' });
    expect(logged[0]).toMatchObject({ level: 'error', message: 'request failed' });
  });

  it('maps framework exceptions to catalogue codes (malformed JSON → invalid_json)', async () => {
    const { app } = build();
    const response = await app.request('/http-json');
    expect(response.status).toBe(400);
    expect(await errorOf(response)).toMatchObject({ code: 'invalid_json' });
  });

  it('answers unknown paths 404 not_found in the project\'s shape', async () => {
    const { app } = build();
    const response = await app.request('/nowhere', { method: 'DELETE' });
    expect(response.status).toBe(404);
    expect(await errorOf(response)).toEqual({ code: 'not_found', message: 'no route for DELETE /nowhere', requestId: 'r-1' });
  });

  it('uses the protocol shape of the path prefix, for errors and unknown paths', async () => {
    const { app } = build({ shapes: [['/v1/', (error, status) => ({ failure: `${status} ${error.code}: ${error.message}` })]] });
    expect(await (await app.request('/v1/app-4xx')).json()).toEqual({ failure: '429 rate_limited: slow down' });
    expect(await (await app.request('/v1/none')).json()).toEqual({ failure: '404 not_found: no route for GET /v1/none' });
    expect(await errorOf(await app.request('/app-4xx'))).toMatchObject({ code: 'validation_failed' });
  });

  it('for a private service, keeps server-side messages, logs only unexpected failures as errors and sends Retry-After', async () => {
    const { app, logged } = build({ exposeServerMessages: true, logAsError: (code) => code === 'internal', retryAfterSeconds: { worker_busy: 1 } });
    expect(await errorOf(await app.request('/app-5xx'))).toMatchObject({ code: 'model_unavailable', message: secretText });
    const busy = await app.request('/busy');
    expect(busy.status).toBe(503);
    expect(busy.headers.get('retry-after')).toBe('1');
    expect(await errorOf(busy)).toMatchObject({ message: 'two answers running' });
    expect(logged.map((line) => line.level)).toEqual(['info', 'info']);
    const unexpected = await app.request('/unexpected');
    expect(JSON.stringify(await unexpected.json())).not.toContain('ECONNREFUSED');
    expect(logged.at(-1)?.level).toBe('error');
  });

  it('builds a route\'s own refusal with the catalogue status and the request id', async () => {
    const { app } = build();
    const response = await app.request('/refuse');
    expect(response.status).toBe(503);
    expect(await errorOf(response)).toEqual({ code: 'not_ready', message: 'the intent model is loading', requestId: 'r-1' });
  });
});
