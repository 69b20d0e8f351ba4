// Docker HEALTHCHECK of the worker image. Every worker route is signed (DESIGN.md), so the
// probe signs a GET /v1/health with the container's own WORKER_SHARED_SECRET; an unsigned probe
// would only ever see 401. Exit code 0 = healthy, 1 = unhealthy (Docker's convention).
import { signRequest } from '@review-assistant/shared';

const secret = process.env.WORKER_SHARED_SECRET;
const port = process.env.WORKER_PORT || '8787';
const path = '/v1/health';

if (!secret) {
  console.error('worker healthcheck: WORKER_SHARED_SECRET is not set');
  process.exit(1);
}
try {
  const response = await fetch(`http://127.0.0.1:${port}${path}`, {
    headers: signRequest({ secret, method: 'GET', path }),
    signal: AbortSignal.timeout(4000),
  });
  await response.arrayBuffer();
  if (!response.ok) {
    console.error(`worker healthcheck: GET ${path} answered ${response.status}`);
    process.exit(1);
  }
  process.exit(0);
} catch (error) {
  console.error(`worker healthcheck: ${error instanceof Error ? error.message : String(error)}`);
  process.exit(1);
}
