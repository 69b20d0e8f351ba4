/**
 * Shared rate limit (issue 13): the latency a DynamoDB-backed limit adds to a request, against
 * the in-process token bucket measured in the same run. DynamoDB is dynalite on loopback here
 * (an in-memory JavaScript server in this process's own event loop is not AWS: see the notes).
 */
import { createTestGateway, startDynalite } from '@review-assistant/cloud-gateway/testing';
import { DynamoRateLimitStore, SharedRateLimiter, TokenBucketLimiter, type RateLimiter } from '@review-assistant/cloud-gateway';
import { percentile, type BenchSection } from './types.js';

const SAMPLES = 2000;
const WARMUP = 200;

async function timeTakes(limiter: RateLimiter, keys: (index: number) => string, samples: number): Promise<number[]> {
  const times: number[] = [];
  for (let index = 0; index < samples + WARMUP; index += 1) {
    const started = performance.now();
    await limiter.take(keys(index));
    if (index >= WARMUP) times.push(performance.now() - started);
  }
  return times;
}

export async function run(): Promise<BenchSection> {
  const dynamo = await startDynalite();
  await dynamo.createTables({ logTable: 'bench-logs', workerRegistryTable: 'bench-limits' });
  const store = new DynamoRateLimitStore({ table: 'bench-limits', client: dynamo.clientConfig, timeoutMs: 5_000 });
  const generous = { name: 'chat', perMinute: 1_000_000, burst: 1_000_000 };
  const strict = { name: 'flood', perMinute: 1, burst: 1 };
  const rows: { name: string; times: number[] }[] = [];
  try {
    // interleaved rounds so machine load affects both sides alike
    const local: number[] = [];
    const shared: number[] = [];
    const sharedDenied: number[] = [];
    for (let round = 0; round < 4; round += 1) {
      local.push(...(await timeTakes(new TokenBucketLimiter(generous.perMinute, generous.burst), (index) => `10.0.${round}.${index % 250}`, SAMPLES / 4)));
      shared.push(...(await timeTakes(new SharedRateLimiter(generous, store), (index) => `10.1.${round}.${index % 250}`, SAMPLES / 4)));
      // a flood from one client spread over gateways: each local bucket still allows it, the shared one refuses
      const flooded = new SharedRateLimiter({ ...strict, burst: 1_000_000, perMinute: 1_000_000 }, store);
      const storeOnly: RateLimiter = { take: (key) => store.take(strict, key, 1) };
      await flooded.take(`10.2.${round}.1`);
      sharedDenied.push(...(await timeTakes(storeOnly, () => `10.2.${round}.1`, SAMPLES / 4)));
    }
    rows.push({ name: 'baseline: in-process token bucket (`RATE_LIMIT_STORE=memory`)', times: local });
    rows.push({ name: 'shared, allowed: local bucket + one conditional `UpdateItem`', times: shared });
    rows.push({ name: 'shared, refused by the remembered bucket state (no DynamoDB call)', times: sharedDenied });

    // the same through HTTP: a small-talk chat turn (answered by the gateway) with each limiter
    const http: { name: string; times: number[] }[] = [];
    for (const [name, rateLimitStore] of [
      ['chat turn over HTTP, memory limit', undefined],
      ['chat turn over HTTP, shared limit', store],
    ] as const) {
      const gateway = createTestGateway({ settings: { rateLimitPerMinute: 1_000_000, rateLimitBurst: 1_000_000 } });
      if (rateLimitStore) gateway.deps.rateLimitStore = rateLimitStore;
      const rebuilt = rateLimitStore ? (await import('@review-assistant/cloud-gateway')).createApp(gateway.deps) : gateway.gateway;
      const times: number[] = [];
      for (let index = 0; index < 500 + WARMUP; index += 1) {
        const started = performance.now();
        const response = await rebuilt.app.request('/api/chat', { method: 'POST', body: JSON.stringify({ message: 'hello there' }), headers: { 'content-type': 'application/json' } });
        await response.text();
        if (index >= WARMUP) times.push(performance.now() - started);
      }
      http.push({ name, times });
    }
    rows.push(...http);
  } finally {
    await store.close();
    await dynamo.close();
  }
  const baseline = percentile(rows[0]!.times, 50);
  const httpBaseline = percentile(rows[3]!.times, 50);
  const table = rows
    .map((row, index) => {
      const p50 = percentile(row.times, 50);
      const added = p50 - (index < 3 ? baseline : httpBaseline);
      return `| ${row.name} | ${row.times.length} | ${p50.toFixed(3)} ms | ${percentile(row.times, 99).toFixed(3)} ms | ${added >= 0 ? '+' : ''}${added.toFixed(3)} ms |`;
    })
    .join('\n');
  return {
    title: 'Shared rate limit (gateway)',
    markdown: `Latency one \`take()\` adds, per request: the in-process bucket (baseline) against the DynamoDB-backed shared limit (\`RATE_LIMIT_STORE=dynamodb\`), on dynalite over loopback; then a whole small-talk chat turn through \`app.request()\` with each. ${SAMPLES} takes per row after ${WARMUP} warm-up ones, interleaved in 4 rounds.

| path | samples | p50 | p99 | p50 − baseline |
| --- | ---: | ---: | ---: | ---: |
${table}

The last column subtracts the baseline measured in the same run: the first row for the three limiter rows, the memory-limit chat turn for the last two (a ratio against a baseline of a microsecond says nothing). dynalite runs in the benchmark's own process (JavaScript, in memory), so the shared rows here are the SDK's request cost plus dynalite's; real DynamoDB in the instance's region answers a single-item write in single-digit milliseconds (AWS's stated figure), which is the added latency to expect per admitted request on EC2. A client refused by the shared bucket is refused from the remembered bucket state without a call, and a client pinned to one gateway by its keep-alive connection is refused by that gateway's own bucket first.`,
  };
}
