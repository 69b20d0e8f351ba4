/**
 * Child process for the intent benchmark: loads the intent service (unless `--no-model`; the
 * bundled model, or `--model PATH`),
 * serves the intent routes on 127.0.0.1:0, sends itself 200 predictions, then prints its memory.
 */
import { serve } from '@hono/node-server';
import { tmpdir } from 'node:os';
import { createIntentService } from '@review-assistant/cloud-gateway/intent';
import { createIntentRoutes } from '@review-assistant/cloud-gateway';

const withModel = !process.argv.includes('--no-model');
const modelFlag = process.argv.indexOf('--model');
const model = modelFlag < 0 ? undefined : process.argv[modelFlag + 1];
const service = createIntentService(withModel ? { cacheDir: tmpdir(), ...(model === undefined ? {} : { uri: model }) } : { uri: '/nonexistent/model.bin.gz', cacheDir: tmpdir() });
await service.loaded;
const app = createIntentRoutes({ intent: service });
const server = serve({ fetch: app.fetch, hostname: '127.0.0.1', port: 0 });
await new Promise((resolve) => server.once('listening', resolve));
const address = server.address();
const port = typeof address === 'object' && address !== null ? address.port : 0;
let ok = 0;
for (let index = 0; index < 200; index += 1) {
  const response = await fetch(`http://127.0.0.1:${port}/api/intent`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ text: `what do reviewers say about the food at place number ${index}` }),
  });
  if (response.status === 200) ok += 1;
  await response.arrayBuffer();
}
server.close();
const before = process.memoryUsage();
// with --expose-gc: a full collection frees the compressed file read at load time
(globalThis as { gc?: () => void }).gc?.();
const after = process.memoryUsage();
console.log(JSON.stringify({ ready: service.status().ready, ok, rss: before.rss, heapUsed: before.heapUsed, arrayBuffers: before.arrayBuffers, rssAfterGc: after.rss, arrayBuffersAfterGc: after.arrayBuffers }));
