import { describe, expect, it } from 'vitest';
import { GatewayMetrics } from './metrics.js';

/** The sample lines of one metric family in the exposition text, e.g. `name{labels} value`. */
async function samples(metrics: GatewayMetrics, name: string): Promise<string[]> {
  return (await metrics.registry.getSingleMetricAsString(name)).split('\n').filter((line) => line.startsWith(name));
}

describe('RequestMetrics (GatewayMetrics.requests)', () => {
  it('counts requests by method, route and status and times them by method and route, across reads', async () => {
    const metrics = new GatewayMetrics();
    metrics.requests.record('GET', '/healthz', 200, 0.002);
    metrics.requests.record('GET', '/healthz', 200, 0.02);
    metrics.requests.record('GET', '/healthz', 503, 0.002);
    metrics.requests.record('POST', '/api/chat', 200, 0.3);
    metrics.requests.record('GET', 'unmatched', 404, 0.0005);
    expect((await samples(metrics, 'gateway_http_requests_total')).sort()).toEqual([
      'gateway_http_requests_total{method="GET",route="/healthz",status="200"} 2',
      'gateway_http_requests_total{method="GET",route="/healthz",status="503"} 1',
      'gateway_http_requests_total{method="GET",route="unmatched",status="404"} 1',
      'gateway_http_requests_total{method="POST",route="/api/chat",status="200"} 1',
    ]);
    // A second read adds only what came since the first, to what the counter already holds.
    metrics.requests.record('GET', '/healthz', 200, 0.002);
    metrics.httpRequests.inc({ method: 'GET', route: '/healthz', status: '200' }, 10);
    expect(await samples(metrics, 'gateway_http_requests_total')).toContain('gateway_http_requests_total{method="GET",route="/healthz",status="200"} 13');
    expect(await samples(metrics, 'gateway_http_requests_total')).toContain('gateway_http_requests_total{method="GET",route="/healthz",status="200"} 13');
    // get() (the EMF publisher's read) sees the counts too.
    metrics.requests.record('POST', '/api/chat', 200, 0.3);
    const values = (await metrics.httpRequests.get()).values.map((value) => [value.labels.route, value.labels.status, value.value]);
    expect(values).toContainEqual(['/api/chat', '200', 2]);
    const durations = await samples(metrics, 'gateway_http_request_duration_seconds');
    expect(durations).toContain('gateway_http_request_duration_seconds_count{method="GET",route="/healthz"} 4');
    expect(durations).toContain('gateway_http_request_duration_seconds_bucket{le="0.005",method="GET",route="/healthz"} 3');
    expect(durations).toContain('gateway_http_request_duration_seconds_count{method="POST",route="/api/chat"} 2');
    expect(durations).toContain('gateway_http_request_duration_seconds_sum{method="POST",route="/api/chat"} 0.6');
  });
});
