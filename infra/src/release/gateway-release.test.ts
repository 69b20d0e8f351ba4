// Release smoke test: what a deployment runs, not the sources. Builds the gateway release with
// `package:gateway`'s own code, installs it the way the EC2 boot script does (the real user data,
// run with stand-ins for dnf, useradd, aws, systemctl and the CloudWatch agent, under a temporary
// root outside the repository), lets the fake systemd start the unit with the production flags
// (NODE_ENV=production, the heap flags, LOG_STORE=dynamodb against dynalite, the intent model from
// s3:// against an S3 double, REQUIRE_HTTPS), and gets a chat answered by the compiled worker
// started from its own build (`node local-worker/dist/server.js`), whose inspector page must load.
import { execFile, spawn, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { chmod, copyFile, mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { signRequest, StreamEventSchema } from '@review-assistant/shared';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startDynalite, type DynaliteServer, startS3Double, type S3Double } from '@review-assistant/cloud-gateway/testing';
import { bootOptions } from '../testing/boot-options.js';
import { instancePaths, renderBootScript } from '../user-data.js';
import { buildGatewayRelease, REPO_ROOT, type GatewayRelease } from './gateway-release.js';
import { node22Binary, NODE22_VERSION } from './testing/node22.js';

const run = promisify(execFile);
const fakeSystemctl = fileURLToPath(new URL('./testing/fake-systemctl.mjs', import.meta.url));

async function freePort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as { port: number };
  await new Promise((resolve) => server.close(resolve));
  return port;
}

async function until<T>(what: string, probe: () => Promise<T | undefined>, timeoutMs: number, describeFailure: () => Promise<string>): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    const value = await probe().catch(() => undefined);
    if (value !== undefined) return value;
    await sleep(250);
  }
  throw new Error(`${what} did not happen within ${timeoutMs} ms:\n${await describeFailure()}`);
}

function killTree(pid: number | undefined): void {
  if (pid === undefined) return;
  try {
    process.kill(-pid, 'SIGKILL');
  } catch {
    try {
      process.kill(pid, 'SIGKILL');
    } catch {
      // already gone
    }
  }
}

describe('gateway release (npm run package:gateway -w infra)', () => {
  const secret = randomBytes(32).toString('hex');
  let scratch: string;
  let release: GatewayRelease;
  let dynamo: DynaliteServer;
  let s3: S3Double;
  let worker: ChildProcess | undefined;
  let workerOutput = '';
  let gatewayPid: number | undefined;
  let gatewayUrl: string;
  let inspectorUrl: string;
  let bootOutput: string;
  let node22: string;
  const root = () => join(scratch, 'instance');
  const paths = () => instancePaths(root());

  beforeAll(async () => {
    scratch = await mkdtemp(join(tmpdir(), 'release-smoke-'));
    // the Node production runs (the tests themselves run on Node 20)
    node22 = await node22Binary(join(REPO_ROOT, '.cache', 'node22'));
    release = await buildGatewayRelease({ outFile: join(scratch, 'cloud-gateway.tgz'), log: () => {} });

    // the stand-ins for AWS: dynalite for the log table, an S3 double holding the release and the model
    dynamo = await startDynalite();
    await dynamo.createTables({ logTable: 'interactions', workerRegistryTable: 'workers' });
    s3 = await startS3Double();
    s3.objects.set('artifacts-bucket/releases/cloud-gateway.tgz', await readFile(release.file));
    s3.objects.set('artifacts-bucket/intent/intent-model.bin.gz', await readFile(join(REPO_ROOT, 'cloud-gateway', 'models', 'intent-model.bin.gz')));

    // the compiled worker from its own build, offline backend, embedded Chroma
    await run('npm', ['run', 'build', '--workspace', '@review-assistant/local-worker'], { cwd: REPO_ROOT });
    const workerPort = await freePort();
    const inspectorPort = await freePort();
    const workerData = join(scratch, 'worker-data');
    const workerEnv: NodeJS.ProcessEnv = {
      PATH: process.env['PATH'],
      HOME: process.env['HOME'],
      NODE_ENV: 'production',
      WORKER_PORT: String(workerPort),
      INSPECTOR_PORT: String(inspectorPort),
      DATA_DIR: workerData,
      MODEL_BACKEND: 'offline',
      WORKER_SHARED_SECRET: secret,
    };
    worker = spawn(process.execPath, ['local-worker/dist/server.js'], { cwd: REPO_ROOT, env: workerEnv, detached: true, stdio: ['ignore', 'pipe', 'pipe'] });
    worker.stdout?.on('data', (chunk: Buffer) => (workerOutput += chunk.toString()));
    worker.stderr?.on('data', (chunk: Buffer) => (workerOutput += chunk.toString()));
    const workerUrl = `http://127.0.0.1:${workerPort}`;
    inspectorUrl = `http://127.0.0.1:${inspectorPort}`;
    await until(
      'the compiled worker answering a signed /v1/health',
      async () => ((await fetch(`${workerUrl}/v1/health`, { headers: signRequest({ secret, method: 'GET', path: '/v1/health' }) })).ok ? true : undefined),
      180_000,
      async () => workerOutput,
    );
    // the sample reviews, through the ingestion CLI into the worker's embedded Chroma
    await run('npm', ['run', '--silent', 'ingest', '--', 'data/sample/reviews.csv'], { cwd: REPO_ROOT, env: { ...workerEnv, NODE_ENV: 'development' } });

    // the EC2 boot script, as cloud-init runs it, under a temporary root with fake system tools
    const bin = join(scratch, 'bin');
    await mkdir(bin, { recursive: true });
    const logged = (name: string) => `#!/bin/bash\necho "${name} $*" >> "$FAKE_LOG"\n`;
    await writeFile(join(bin, 'dnf'), logged('dnf'));
    await writeFile(join(bin, 'useradd'), logged('useradd'));
    await writeFile(
      join(bin, 'aws'),
      [
        logged('aws'),
        'if [ "$1" = s3 ] && [ "$2" = cp ]; then curl -fsS -o "$4" "$FAKE_S3_ENDPOINT/${3#s3://}"; exit $?; fi',
        'if [ "$1" = ssm ] && [ "$2" = get-parameters ]; then printf "/review-assistant/WORKER_SHARED_SECRET\\t%s\\n/review-assistant/ADMIN_TOKEN\\t%s\\n/review-assistant/EDGE_SECRET\\t%s\\n" "$FAKE_SECRET" "$FAKE_ADMIN_TOKEN" "$FAKE_EDGE_SECRET"; exit 0; fi',
        'exit 2',
      ].join('\n'),
    );
    await copyFile(fakeSystemctl, join(bin, 'systemctl'));
    for (const tool of ['dnf', 'useradd', 'aws', 'systemctl']) await chmod(join(bin, tool), 0o755);
    await mkdir(join(paths().agentControl, '..'), { recursive: true });
    await writeFile(paths().agentControl, logged('amazon-cloudwatch-agent-ctl'));
    await chmod(paths().agentControl, 0o755);

    const options = bootOptions('cloudfront', {
      port: 80,
      workerUrls: workerUrl,
      forwardedProtoHeader: 'cloudfront-forwarded-proto',
    });
    const gatewayPort = await freePort();
    gatewayUrl = `http://127.0.0.1:${gatewayPort}`;
    // what differs here from an instance: a loopback port instead of 80, and local AWS endpoints
    const overrides = join(scratch, 'overrides.env');
    await writeFile(
      overrides,
      [
        'HOST=127.0.0.1',
        `PORT=${gatewayPort}`,
        `AWS_ENDPOINT_URL_DYNAMODB=${dynamo.endpoint}`,
        `AWS_ENDPOINT_URL_S3=${s3.endpoint}`,
        'AWS_ACCESS_KEY_ID=test',
        'AWS_SECRET_ACCESS_KEY=test',
        '',
      ].join('\n'),
    );
    const bootScript = join(scratch, 'user-data.sh');
    await writeFile(bootScript, `#!/bin/bash\n${renderBootScript(options, paths())}`);
    const boot = await run('bash', [bootScript], {
      env: {
        PATH: `${bin}:${process.env['PATH'] ?? ''}`,
        HOME: process.env['HOME'],
        FAKE_LOG: join(scratch, 'calls.log'),
        FAKE_S3_ENDPOINT: s3.endpoint,
        FAKE_SECRET: secret,
        FAKE_ADMIN_TOKEN: 'admin-token-0123456789abcdef',
        FAKE_EDGE_SECRET: 'edge-secret-0123456789abcdef',
        FAKE_ROOT: root(),
        FAKE_SYSTEMD_DIR: paths().systemdDir,
        FAKE_NODE: node22,
        FAKE_ENV_OVERRIDES: overrides,
        FAKE_PID_FILE: join(scratch, 'gateway.pid'),
      },
    });
    bootOutput = boot.stdout + boot.stderr;
    gatewayPid = Number(await readFile(join(scratch, 'gateway.pid'), 'utf8'));
    await until(
      'the installed gateway turning ready',
      async () => ((await fetch(`${gatewayUrl}/readyz`)).ok ? true : undefined),
      120_000,
      async () => `${bootOutput}\n${await readFile(paths().gatewayLog, 'utf8').catch(() => '(no gateway log)')}`,
    );
  }, 600_000);

  afterAll(async () => {
    killTree(gatewayPid);
    if (worker?.pid !== undefined && worker.exitCode === null) {
      const exited = new Promise((resolve) => worker?.once('exit', resolve));
      process.kill(-worker.pid, 'SIGTERM');
      await Promise.race([exited, sleep(15_000)]);
      killTree(worker.pid);
    }
    await dynamo?.close();
    await s3?.close();
    if (scratch) await rm(scratch, { recursive: true, force: true });
  }, 60_000);

  it('holds the compiled gateway, UI bundle, intent model and production dependencies, and nothing of the trainer, CLINC data or tests', () => {
    const entries = release.entries;
    for (const needed of [
      'cloud-gateway/dist/server.js',
      'cloud-gateway/dist/public/app.js',
      'cloud-gateway/dist/public/index.html',
      'cloud-gateway/models/intent-model.bin.gz',
      'cloud-gateway/src/intent/page/intent.html',
      'node_modules/@review-assistant/shared/dist/index.js',
      'node_modules/hono/package.json',
      'node_modules/@aws-sdk/client-dynamodb/package.json',
      'node_modules/swagger-ui-dist/swagger-ui-bundle.js',
    ]) {
      expect(entries, needed).toContain(needed);
    }
    const ownCode = entries.filter((entry) => !entry.startsWith('node_modules/') || entry.startsWith('node_modules/@review-assistant/'));
    const unwanted = [
      ...ownCode.filter((entry) => /\.test\.|\/testing\/|trainer|training|clinc|\.ts$|\/data\//i.test(entry)),
      ...entries.filter((entry) => /^node_modules\/(esbuild|typescript|vitest|tsx|aws-cdk|aws-cdk-lib|dynalite|playwright-core|@review-assistant\/(local-worker|scripts|infra))\//.test(entry)),
    ];
    expect(unwanted).toEqual([]);
  });

  it('is started by Node 22, as /usr/bin/node-22 on the instance', async () => {
    expect((await run(node22, ['--version'])).stdout.trim()).toBe(`v${NODE22_VERSION}`);
    const unit = await readFile(join(paths().systemdDir, 'review-assistant-gateway.service'), 'utf8');
    expect(unit).toContain(`ExecStart=/usr/bin/node-22 ${paths().release}/cloud-gateway/dist/server.js`);
  });

  it('was installed by the boot script: release fetched, secrets written root-only, unit started', async () => {
    const calls = await readFile(join(scratch, 'calls.log'), 'utf8');
    expect(calls).toContain('dnf install -y nodejs22');
    expect(calls).toContain('aws s3 cp s3://artifacts-bucket/releases/cloud-gateway.tgz');
    expect(calls).toContain('systemctl start --no-block review-assistant-gateway.service');
    expect(await readFile(paths().secretsFile, 'utf8')).toContain(`WORKER_SHARED_SECRET=${secret}`);
    // the edge secret comes from SSM at start, never from user data
    expect(await readFile(paths().secretsFile, 'utf8')).toContain('EDGE_SECRET=edge-secret-0123456789abcdef');
    const environment = await readFile(paths().environmentFile, 'utf8');
    expect(environment).not.toContain('EDGE_SECRET');
    expect(environment).toContain('NODE_ENV=production');
    expect(environment).toContain('LOG_STORE=dynamodb');
    expect(environment).toContain('INTENT_MODEL_URI=s3://artifacts-bucket/intent/intent-model.bin.gz');
    expect(environment).toContain('REQUIRE_HTTPS=true');
    expect(environment).toContain('CLOUDWATCH_EMF=true');
  });

  it('is ready with the intent model from S3 and serves the chat UI, the intent page and the API docs', async () => {
    const ready = (await (await fetch(`${gatewayUrl}/readyz`)).json()) as { intentModel: { ready: boolean } };
    expect(ready.intentModel.ready).toBe(true);
    // the model came from INTENT_MODEL_URI=s3://..., not from the copy inside the release
    expect(s3.requests.filter((request) => request.path === '/artifacts-bucket/intent/intent-model.bin.gz').map((request) => request.status)).toContain(200);
    for (const [path, marker] of [
      ['/', '<title>'],
      ['/ui/app.js', 'WebSocket'],
      ['/intent', 'Intent prediction'],
      ['/intent/assets/intent.js', '/api/intent'],
      ['/docs', 'swagger-ui'],
      ['/docs/assets/swagger-ui-bundle.js', 'SwaggerUIBundle'],
      ['/openapi.json', '"openapi"'],
    ] as const) {
      const response = await fetch(`${gatewayUrl}${path}`);
      expect(response.status, path).toBe(200);
      expect(await response.text(), path).toContain(marker);
    }
    const intent = await fetch(`${gatewayUrl}/api/intent`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ text: 'hello there, how are you' }) });
    expect(intent.status).toBe(200);
  });

  it('keys the intent budget on the viewer CloudFront reports, with the edge secret it read from SSM', async () => {
    const batch = (headers: Record<string, string>) =>
      fetch(`${gatewayUrl}/api/intent/batch`, {
        method: 'POST',
        headers: { 'content-type': 'application/json', 'x-forwarded-for': '130.176.12.34', ...headers },
        body: JSON.stringify({ texts: Array.from({ length: 100 }, (_, index) => `is table ${index} free tonight?`) }),
      }).then((response) => response.status);
    const viewer = (address: string) => ({ 'cloudfront-viewer-address': address, 'x-origin-verify': 'edge-secret-0123456789abcdef' });
    // 100 texts each against the default burst of 150 texts per client
    expect(await batch(viewer('198.51.100.10:40001'))).toBe(200);
    expect(await batch(viewer('198.51.100.10:40002'))).toBe(429);
    expect(await batch(viewer('203.0.113.77:51000'))).toBe(200);
  });

  it('answers a chat through the compiled worker, with sources, and logs the turn to DynamoDB', async () => {
    const response = await fetch(`${gatewayUrl}/api/chat`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ message: 'Which restaurant has good vegan options?' }),
    });
    expect(response.status).toBe(200);
    const events = (await response.text())
      .split('\n')
      .filter((line) => line.startsWith('data: '))
      .map((line) => StreamEventSchema.parse(JSON.parse(line.slice('data: '.length))));
    expect(events.map((event) => event.type)).toContain('answer-end');
    const sources = events.find((event) => event.type === 'sources');
    expect(sources?.type === 'sources' ? sources.items.length : 0, JSON.stringify(events).slice(0, 2000)).toBeGreaterThan(0);
    expect(events.filter((event) => event.type === 'answer-delta').length).toBeGreaterThan(0);
    const { DynamoDBClient, ScanCommand } = await import('@aws-sdk/client-dynamodb');
    const client = new DynamoDBClient(dynamo.clientConfig);
    try {
      const logged = await until('the interaction record in DynamoDB', async () => ((await client.send(new ScanCommand({ TableName: 'interactions' }))).Count ?? 0) > 0 || undefined, 10_000, async () => 'no record');
      expect(logged).toBe(true);
    } finally {
      client.destroy();
    }
  });

  it('runs a compiled worker that serves its inspector page', async () => {
    const page = await fetch(`${inspectorUrl}/`);
    expect(page.status).toBe(200);
    expect(await page.text()).toContain('<html');
    const script = await fetch(`${inspectorUrl}/inspector.js`);
    expect(script.status).toBe(200);
    expect((await script.text()).length).toBeGreaterThan(100);
  });
});
