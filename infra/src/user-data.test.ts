import { execFile } from 'node:child_process';
import { createHash } from 'node:crypto';
import { chmod, mkdir, mkdtemp, readFile, rm, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { bootOptions } from './testing/boot-options.js';
import {
  renderAgentConfig,
  renderBootScript,
  renderGatewayEnvironment,
  renderGatewayUnit,
  renderPrepareScript,
  RELEASE_MARKER_FILE,
} from './user-data.js';

const run = promisify(execFile);

describe('renderBootScript', () => {
  it.each(['direct', 'caddy', 'alb'] as const)('produces a bash script that parses (%s)', async (ingress) => {
    const script = `#!/bin/bash\n${renderBootScript(bootOptions(ingress, { elasticIpAllocationId: 'eipalloc-123', domainName: 'chat.example.com' }))}`;
    const directory = await mkdtemp(join(tmpdir(), 'boot-script-'));
    try {
      const file = join(directory, 'boot.sh');
      await writeFile(file, script);
      await expect(run('bash', ['-n', file])).resolves.toBeDefined();
    } finally {
      await rm(directory, { recursive: true, force: true });
    }
  });

  it('installs Caddy only when asked and verifies its checksum', () => {
    const withCaddy = renderBootScript(bootOptions('caddy', { domainName: 'chat.example.com' }));
    expect(withCaddy).toContain('sha512sum');
    expect(withCaddy).toContain('caddy_2.10.2_linux_amd64.tar.gz');
    expect(withCaddy).toContain('systemctl enable --now caddy.service');
    expect(renderBootScript(bootOptions('direct'))).not.toContain('caddy');
  });

  it('re-attaches the Elastic IP only when one is given', () => {
    expect(renderBootScript(bootOptions('direct', { elasticIpAllocationId: 'eipalloc-123' }))).toContain(
      "--allocation-id 'eipalloc-123'",
    );
    expect(renderBootScript(bootOptions('direct'))).not.toContain('associate-address');
  });
});

describe('renderGatewayUnit', () => {
  it('runs as an unprivileged user, hardened, with the capability to bind port 80 only when needed', () => {
    const direct = renderGatewayUnit({ ingress: 'direct', port: 80 });
    expect(direct).toContain('User=gateway');
    expect(direct).toContain('NoNewPrivileges=true');
    expect(direct).toContain('ProtectSystem=strict');
    expect(direct).toContain('AmbientCapabilities=CAP_NET_BIND_SERVICE');
    expect(direct).toContain('ExecStart=/usr/bin/node-22 /opt/review-assistant/release/cloud-gateway/dist/server.js');
    const proxied = renderGatewayUnit({ ingress: 'caddy', port: 8080 });
    expect(proxied).not.toContain('AmbientCapabilities');
    expect(proxied).toContain('CapabilityBoundingSet=\n');
  });
});

describe('renderGatewayEnvironment', () => {
  it('points the gateway at DynamoDB, the S3 model and the region, without secrets', () => {
    const environment = renderGatewayEnvironment(bootOptions('alb'));
    const entries = Object.fromEntries(environment.trim().split('\n').map((line) => line.split(/=(.*)/s).slice(0, 2)));
    expect(entries).toMatchObject({
      LOG_STORE: 'dynamodb',
      LOG_TABLE: 'interactions',
      INTENT_MODEL_URI: 's3://artifacts-bucket/intent/intent-model.bin.gz',
      HOST: '0.0.0.0',
      PORT: '8080',
      AWS_REGION: 'eu-west-1',
      TRUST_PROXY: 'true',
    });
    expect(Object.keys(entries)).not.toContain('WORKER_SHARED_SECRET');
    expect(renderGatewayEnvironment(bootOptions('direct'))).toContain('TRUST_PROXY=false\n');
  });
});

describe('renderAgentConfig', () => {
  it('ships the gateway log to the log group and publishes memory in the allowed namespace', () => {
    const config = JSON.parse(renderAgentConfig(bootOptions('direct'))) as {
      metrics: { namespace: string; metrics_collected: Record<string, unknown> };
      logs: { logs_collected: { files: { collect_list: { file_path: string; log_group_name: string }[] } } };
    };
    expect(config.metrics.namespace).toBe('ReviewAssistant/Gateway');
    expect(Object.keys(config.metrics.metrics_collected)).toContain('mem');
    const files = config.logs.logs_collected.files.collect_list;
    expect(files.map((file) => file.file_path)).toContain('/var/log/review-assistant/gateway.log');
    expect(new Set(files.map((file) => file.log_group_name))).toEqual(new Set(['/review-assistant/gateway']));
  });
});

/**
 * Runs the real prepare script with a fake `aws` command on PATH that plays S3 and SSM from
 * files, so the release swap and the secrets file are checked end to end.
 */
describe('renderPrepareScript (run with a fake aws CLI)', () => {
  let root: string;
  const paths = () => ({ release: join(root, 'release'), secretsFile: join(root, 'run', 'secrets.env') });

  beforeAll(async () => {
    root = await mkdtemp(join(tmpdir(), 'prepare-script-'));
    await mkdir(join(root, 'bin'));
    await mkdir(join(root, 'run'));
    await mkdir(join(root, 's3'));
    // The fake answers `aws s3 cp s3://bucket/key dest ...` from $FAKE_S3 and
    // `aws ssm get-parameters ...` with the tab-separated listing in $FAKE_SSM.
    await writeFile(
      join(root, 'bin', 'aws'),
      [
        '#!/bin/bash',
        'echo "$*" >> "$FAKE_LOG"',
        'if [ "$1" = s3 ] && [ "$2" = cp ]; then',
        '  source="$FAKE_S3/${3#s3://}"',
        '  [ -f "$source" ] || { echo "fatal error: An error occurred (404)" >&2; exit 1; }',
        '  cp "$source" "$4"; exit 0',
        'fi',
        'if [ "$1" = ssm ] && [ "$2" = get-parameters ]; then cat "$FAKE_SSM"; exit 0; fi',
        'exit 2',
        '',
      ].join('\n'),
    );
    await chmod(join(root, 'bin', 'aws'), 0o755);
  });

  afterAll(async () => {
    await rm(root, { recursive: true, force: true });
  });

  async function prepare(ssmListing: string) {
    const script = join(root, 'prepare.sh');
    await writeFile(script, renderPrepareScript(bootOptions('direct'), paths()));
    await writeFile(join(root, 'ssm.txt'), ssmListing);
    return run('bash', [script], {
      env: {
        PATH: `${join(root, 'bin')}:${process.env['PATH'] ?? ''}`,
        FAKE_S3: join(root, 's3'),
        FAKE_SSM: join(root, 'ssm.txt'),
        FAKE_LOG: join(root, 'aws.log'),
      },
    });
  }

  async function publishRelease(marker: string) {
    const staging = join(root, `staging-${marker}`);
    await mkdir(join(staging, 'cloud-gateway', 'dist'), { recursive: true });
    await chmod(staging, 0o700);
    await writeFile(join(staging, 'cloud-gateway', 'dist', 'server.js'), `// ${marker}\n`);
    await mkdir(join(root, 's3', 'artifacts-bucket', 'releases'), { recursive: true });
    await run('tar', ['-czf', join(root, 's3', 'artifacts-bucket', 'releases', 'cloud-gateway.tgz'), '-C', staging, '.']);
  }

  const secrets = '/review-assistant/WORKER_SHARED_SECRET\tsecret-value-0123456789\n/review-assistant/API_KEYS\tkey-one,key-two\n';

  it('fails with a clear message while no release has been uploaded', async () => {
    await expect(prepare(secrets)).rejects.toMatchObject({ stderr: expect.stringContaining('no gateway release at s3://artifacts-bucket/releases/cloud-gateway.tgz') });
  });

  it('installs the release and writes the secrets to a root-only file, one variable per line', async () => {
    await publishRelease('first');
    await prepare(secrets);
    expect(await readFile(join(paths().release, 'cloud-gateway', 'dist', 'server.js'), 'utf8')).toContain('first');
    // the marker rollout.sh compares with the tarball it uploaded
    const tarball = await readFile(join(root, 's3', 'artifacts-bucket', 'releases', 'cloud-gateway.tgz'));
    expect(await readFile(join(paths().release, RELEASE_MARKER_FILE), 'utf8')).toBe(`${createHash('sha256').update(tarball).digest('hex')}\n`);
    // the service user must be able to read the code even if the tarball was packed from a 0700 dir
    expect((await stat(paths().release)).mode & 0o777).toBe(0o755);
    expect((await stat(join(paths().release, 'cloud-gateway', 'dist', 'server.js'))).mode & 0o777).toBe(0o644);
    expect(await readFile(paths().secretsFile, 'utf8')).toBe('WORKER_SHARED_SECRET=secret-value-0123456789\nAPI_KEYS=key-one,key-two\n');
    expect((await stat(paths().secretsFile)).mode & 0o077).toBe(0);
    const calls = await readFile(join(root, 'aws.log'), 'utf8');
    expect(calls).toContain('--with-decryption');
    expect(calls).toContain('/review-assistant/ADMIN_TOKEN');
  });

  it('replaces the release on the next start and keeps the previous one', async () => {
    await publishRelease('second');
    await prepare(secrets);
    expect(await readFile(join(paths().release, 'cloud-gateway', 'dist', 'server.js'), 'utf8')).toContain('second');
    expect(await readFile(join(`${paths().release}.previous`, 'cloud-gateway', 'dist', 'server.js'), 'utf8')).toContain('first');
  });

  it('keeps the installed release when the bucket is unreachable', async () => {
    await rm(join(root, 's3', 'artifacts-bucket'), { recursive: true });
    const { stderr } = await prepare(secrets);
    expect(stderr).toContain('starting the release already installed');
    expect(await readFile(join(paths().release, 'cloud-gateway', 'dist', 'server.js'), 'utf8')).toContain('second');
  });

  it('refuses to start without the required shared secret and leaves the old secrets file alone', async () => {
    const before = await readFile(paths().secretsFile, 'utf8');
    await expect(prepare('/review-assistant/ADMIN_TOKEN\tadmin-token-0123456789\n')).rejects.toMatchObject({
      stderr: expect.stringContaining('parameter /review-assistant/WORKER_SHARED_SECRET is missing'),
    });
    expect(await readFile(paths().secretsFile, 'utf8')).toBe(before);
  });
});
