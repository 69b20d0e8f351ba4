import { afterEach, describe, expect, it } from 'vitest';
import { signRequest, WorkerHealthSchema } from '@review-assistant/shared';
import { startWorkerDouble, type WorkerDouble } from './worker-double.js';

const secret = 'worker-double-secret-0123456789';
const doubles: WorkerDouble[] = [];
afterEach(async () => {
  await Promise.all(doubles.splice(0).map((double) => double.close()));
});

async function start(options: Parameters<typeof startWorkerDouble>[0] = {}): Promise<WorkerDouble> {
  const double = await startWorkerDouble({ secret, ...options });
  doubles.push(double);
  return double;
}

function signed(double: WorkerDouble, method: 'GET' | 'POST', path: string, body?: string): Promise<Response> {
  return fetch(`${double.url}${path}`, {
    method,
    ...(body === undefined ? {} : { body }),
    headers: { 'content-type': 'application/json', ...signRequest({ secret, method, path, body }) },
  });
}

async function errorOf(response: Response): Promise<{ status: number; code: string }> {
  const body = (await response.json()) as { error: { code: string } };
  return { status: response.status, code: body.error.code };
}

/** The worker double must answer like the real worker (local-worker routes), faults included. */
describe('worker double', () => {
  it('validates request bodies with the worker schemas: 400 invalid_json / validation_failed before any work', async () => {
    const double = await start();
    expect(await errorOf(await signed(double, 'POST', '/v1/chat', '{"message":'))).toEqual({ status: 400, code: 'invalid_json' });
    expect(await errorOf(await signed(double, 'POST', '/v1/chat', JSON.stringify({ message: '' })))).toEqual({ status: 400, code: 'validation_failed' });
    expect(await errorOf(await signed(double, 'POST', '/v1/retrieve', JSON.stringify({ k: 3 })))).toEqual({ status: 400, code: 'validation_failed' });
    expect(await errorOf(await signed(double, 'POST', '/v1/embed', JSON.stringify({ input: 42 })))).toEqual({ status: 400, code: 'validation_failed' });
    expect((await signed(double, 'POST', '/v1/retrieve', JSON.stringify({ query: 'pasta', k: 2 }))).status).toBe(200);
    expect((await signed(double, 'POST', '/v1/chat', JSON.stringify({ message: 'best pasta?' }))).status).toBe(200);
  });

  it.each([
    ['bad-request', 400, 'validation_failed'],
    ['rate-limited', 429, 'rate_limited'],
    ['busy', 503, 'worker_busy'],
  ] as const)('answers the %s fault with %i %s', async (fault, status, code) => {
    const double = await start({ fault });
    expect(await errorOf(await signed(double, 'POST', '/v1/chat', JSON.stringify({ message: 'best pasta?' })))).toEqual({ status, code });
  });

  it('reports the health status it is given (a worker still warming up)', async () => {
    const double = await start({ healthStatus: 'warming-up' });
    const health = WorkerHealthSchema.parse(await (await signed(double, 'GET', '/v1/health')).json());
    expect(health.status).toBe('warming-up');
  });

  it('refuses connections (ECONNREFUSED) or resets them, and listens again on the same URL afterwards', async () => {
    const double = await start();
    const causeCode = async () =>
      signed(double, 'GET', '/v1/health').then(
        () => 'answered',
        (error: unknown) => String((error as { cause?: { code?: unknown } }).cause?.code),
      );
    double.setFault('connection-refused');
    expect(await causeCode()).toBe('ECONNREFUSED');
    double.setFault('refuse');
    const reset = await causeCode();
    expect(reset).not.toBe('answered');
    expect(reset).not.toBe('ECONNREFUSED');
    double.setFault('none');
    expect(await causeCode()).toBe('answered');
  });
});
