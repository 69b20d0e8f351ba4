import { execFile } from 'node:child_process';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { RetrieveResponseSchema, signRequest } from '@review-assistant/shared';
import { ingestCsv, startWorker, type RunningWorker, ChromaVectorStore } from '@review-assistant/local-worker';

const run = promisify(execFile);
const repoRoot = resolve(dirname(fileURLToPath(import.meta.url)), '..', '..');
const retrieveScript = join(repoRoot, 'scripts', 'src', 'retrieve.ts');
const SECRET = 'retrieve-cli-secret-0123456789';

// reviews written for this test
const CSV = [
  'Restaurant,Reviewer,Review,Rating,Time',
  'Spice Route,Asha,"The butter chicken was rich and creamy. Service was quick, and the naan came hot.",4,2024-01-10',
  'Spice Route,Ben,"Butter chicken tasted bland and the waiter forgot our order.",2,2024-02-02',
  'Dosa Corner,Chen,"Crisp masala dosa, great sambar, very cheap. Always crowded at lunch.",5,2024-03-15',
  'Dosa Corner,Dev,"The dosa was soggy 😕 and the chutney sour; the staff were kind though.",3,2024-05-20',
  'Kebab Yard,Eli,"Smoky seekh kebabs, friendly staff, loud music on weekends.",4.5,2024-04-01',
  'Kebab Yard,Fay,"Kebabs were dry, but the butter naan was perfect and the staff friendly.",3.5,2024-06-11',
].join('\r\n');

let dataDir: string;
let worker: RunningWorker;

beforeAll(async () => {
  dataDir = await mkdtemp(join(tmpdir(), 'retrieve-cli-'));
  worker = await startWorker({
    env: {},
    overrides: { dataDir, workerPort: 0, modelBackend: 'offline', workerSharedSecret: SECRET, logLevel: 'silent' },
    networking: false,
  });
  const file = join(dataDir, 'cli-reviews.csv');
  await writeFile(file, CSV, 'utf8');
  await ingestCsv({ file, store: new ChromaVectorStore({ url: worker.chroma.url }), embedder: worker.backends.embeddingModel, progress: 'none' });
}, 120_000);

afterAll(async () => {
  await worker?.stop();
  if (dataDir) await rm(dataDir, { recursive: true, force: true });
});

async function viaEndpoint(body: unknown): Promise<unknown> {
  const text = JSON.stringify(body);
  const response = await fetch(`${worker.url}/v1/retrieve`, {
    method: 'POST',
    body: text,
    headers: { 'content-type': 'application/json', ...signRequest({ secret: SECRET, method: 'POST', path: '/v1/retrieve', body: text }) },
  });
  expect(response.status).toBe(200);
  return response.json();
}

async function viaCli(args: string[]): Promise<string> {
  const { stdout } = await run(process.execPath, ['--import', 'tsx', '--conditions=development', retrieveScript, '--json', ...args], {
    cwd: repoRoot,
    env: { ...process.env, CHROMA_URL: worker.chroma.url, MODEL_BACKEND: 'offline', DATA_DIR: dataDir },
  });
  return stdout;
}

describe('npm run retrieve -- --json (CLI as a child process, real Chroma)', () => {
  it('prints exactly the /v1/retrieve body for the same question', async () => {
    const stdout = await viaCli(['--k', '3', 'is the butter chicken good?']);
    const endpoint = await viaEndpoint({ query: 'is the butter chicken good?', k: 3 });
    expect(stdout.trim().split('\n')).toHaveLength(1);
    const printed: unknown = JSON.parse(stdout);
    expect(printed).toEqual(endpoint);
    const parsed = RetrieveResponseSchema.parse(printed);
    expect(parsed.results.length).toBeGreaterThan(0);
    expect(parsed.results[0]?.metadata.restaurant).toBe('Spice Route');
  }, 120_000);

  it('applies the same filters as the endpoint (restaurant, rating and date range)', async () => {
    const stdout = await viaCli(['--k', '5', '--restaurant', 'kebab yard', '--min-rating', '3', '--from', '2024-05-01', '--to', '2024-12-31', 'friendly staff and naan']);
    const endpoint = await viaEndpoint({ query: 'friendly staff and naan', k: 5, filter: { restaurant: 'kebab yard', minRating: 3, from: '2024-05-01', to: '2024-12-31' } });
    expect(JSON.parse(stdout)).toEqual(endpoint);
    const parsed = RetrieveResponseSchema.parse(JSON.parse(stdout));
    expect(parsed.results.map((item) => item.metadata.row)).toEqual([5]);
  }, 120_000);

  it('prints an empty result list, like the endpoint, for an unrelated question', async () => {
    const stdout = await viaCli(['how do I fix the brakes of my car?']);
    expect(JSON.parse(stdout)).toEqual(await viaEndpoint({ query: 'how do I fix the brakes of my car?' }));
    expect(JSON.parse(stdout)).toEqual({ results: [] });
  }, 120_000);
});
