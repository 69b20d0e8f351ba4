import { describe, expect, it } from 'vitest';
import type { InteractionRecord } from '../logs/interaction-record.js';
import { createTestGateway } from '../testing/gateway-harness.js';

const adminToken = 'admin-token-0123456789abcdef';
const headers = { authorization: `Bearer ${adminToken}` };

function record(index: number, overrides: Partial<InteractionRecord> = {}): InteractionRecord {
  return {
    requestId: `r${index}`,
    sessionId: 'anonymous',
    createdAt: new Date(Date.parse('2026-11-21T10:00:00Z') + index * 10 * 60_000).toISOString(),
    channel: (['sse', 'ws', 'openai', 'ollama'] as const)[index % 4]!,
    intent: { name: index % 2 ? 'greeting' : 'restaurant_reviews', confidence: 0.9, domain: 'dining', outOfScope: false },
    route: index % 2 ? 'smalltalk' : 'worker',
    workerId: index % 2 ? null : 'w1',
    status: index === 3 ? 'error:worker_timeout' : 'ok',
    latencyMs: 10 * (index + 1),
    timeToFirstTokenMs: index + 1,
    answerChars: 1,
    sources: 0,
    backend: 'offline',
    ...overrides,
  };
}

describe('GET /admin/api/analytics', () => {
  function gatewayWith(records: InteractionRecord[]) {
    const gateway = createTestGateway({ settings: { adminToken } });
    gateway.deps.logStore.records.push(...records);
    return gateway.gateway.app;
  }

  it('summarises the interaction log of the range, and the CSV has one row per hour', async () => {
    const app = gatewayWith(Array.from({ length: 12 }, (_, index) => record(index)));
    const response = await app.request('/admin/api/analytics?from=2026-11-21T10:00:00Z&to=2026-11-21T11:00:00Z', { headers });
    expect(response.status).toBe(200);
    expect(await response.json()).toMatchObject({
      turns: 6,
      byRoute: { worker: 3, smalltalk: 3 },
      byIntent: { restaurant_reviews: 3, greeting: 3 },
      byChannel: { sse: 2, ws: 2, openai: 1, ollama: 1 },
      latencyMs: { p50: 30, p95: 60 },
      timeToFirstTokenMs: { p50: 3, p95: 6 },
      errors: { worker_timeout: 1 },
      series: [{ hour: '2026-11-21T10:00:00.000Z', turns: 6, errors: 1 }],
    });
    const csv = await app.request('/admin/api/analytics.csv?from=2026-11-21T10:00:00Z&to=2026-11-21T12:00:00Z', { headers });
    expect(csv.headers.get('content-type')).toContain('text/csv');
    expect(await csv.text()).toBe('hour,turns,errors\r\n2026-11-21T10:00:00.000Z,6,1\r\n2026-11-21T11:00:00.000Z,6,0\r\n');
  });

  it('needs the admin token and answers bad ranges with a 400 naming the problem', async () => {
    const app = gatewayWith([]);
    expect((await app.request('/admin/api/analytics')).status).toBe(401);
    const cases: [string, RegExp][] = [
      ['from=yesterday', /from: expected an ISO 8601 time/],
      ['from=2026-11-21T10:00:00Z&to=2026-11-21T09:00:00Z', /from must be before to/],
      ['from=2026-01-01T00:00:00Z&to=2026-11-21T00:00:00Z', /at most 31 days/],
    ];
    for (const [query, message] of cases) {
      const response = await app.request(`/admin/api/analytics?${query}`, { headers });
      expect(response.status).toBe(400);
      const body = (await response.json()) as { error: { code: string; message: string } };
      expect(body.error.message).toMatch(message);
    }
  });

  it('answers 503 (not a 500) when the log cannot be read, and the admin overview still answers', async () => {
    const gateway = createTestGateway({ settings: { adminToken } });
    const throttled = Object.assign(new Error('Throughput exceeds the current capacity of your table or index.'), { name: 'ProvisionedThroughputExceededException' });
    gateway.deps.logStore.query = async () => {
      throw throttled;
    };
    gateway.deps.logStore.recent = async () => {
      throw throttled;
    };
    const response = await gateway.gateway.app.request('/admin/api/analytics', { headers });
    expect(response.status).toBe(503);
    expect(((await response.json()) as { error: { code: string } }).error.code).toBe('not_ready');
    const overview = await gateway.gateway.app.request('/admin/api/overview', { headers });
    expect(overview.status).toBe(200);
    expect(((await overview.json()) as { requests: unknown[] }).requests).toEqual([]);
  });

  it('shows the recent requests of the interaction log (every gateway sharing it), newest first', async () => {
    const app = gatewayWith([record(1), record(2)]);
    const body = (await (await app.request('/admin/api/requests', { headers })).json()) as { requests: { requestId: string }[] };
    expect(body.requests.map((request) => request.requestId)).toEqual(['r2', 'r1']);
  });
});
