import { createHash } from 'node:crypto';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { gunzipSync, gzipSync } from 'node:zlib';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ARTIFACT_FORMAT_VERSION } from './artifact.js';
import { createIntentService } from './intent-service.js';
import { startS3Double, type S3Double } from '../testing/s3-double.js';
import { rewriteManifest, tinyArtifact } from '../testing/tiny-intent-artifact.js';

const s3Options = (endpoint: string) => ({
  endpoint,
  forcePathStyle: true,
  region: 'us-east-1',
  credentials: { accessKeyId: 'test-access-key', secretAccessKey: 'test-secret-key' },
});

describe('createIntentService', () => {
  const { bytes } = tinyArtifact();
  let directory: string;
  let s3: S3Double;

  beforeAll(async () => {
    directory = await mkdtemp(join(tmpdir(), 'intent-service-'));
    s3 = await startS3Double();
  });
  afterAll(async () => {
    await s3.close();
    await rm(directory, { recursive: true, force: true });
  });

  it('reports loading first, then ready with the version from a file path', async () => {
    const path = join(directory, 'model.bin.gz');
    await writeFile(path, bytes);
    const service = createIntentService({ uri: path, cacheDir: join(directory, 'cache') });
    expect(service.status().ready).toBe(false);
    expect(service.status().message).toMatch(/loading/);
    expect(service.current()).toBeUndefined();
    await service.loaded;
    expect(service.status()).toMatchObject({ ready: true, version: 'test.tiny' });
    expect(service.current()?.predict('what is my account balance').intent.name).toBe('balance');
  });

  it('stays not ready with the checksum message when the artifact is corrupt', async () => {
    const content = gunzipSync(bytes);
    content[40] = content[40]! ^ 0x01;
    const path = join(directory, 'corrupt.bin.gz');
    await writeFile(path, gzipSync(content));
    const service = createIntentService({ uri: path, cacheDir: join(directory, 'cache') });
    await service.loaded;
    expect(service.status().ready).toBe(false);
    expect(service.status().message).toMatch(/checksum mismatch/);
    expect(service.current()).toBeUndefined();
  });

  it('stays not ready when the artifact has another format version, saying so', async () => {
    const path = join(directory, 'future.bin.gz');
    await writeFile(
      path,
      rewriteManifest(bytes, (manifest) => {
        manifest.formatVersion = ARTIFACT_FORMAT_VERSION + 1;
      }),
    );
    const service = createIntentService({ uri: path, cacheDir: join(directory, 'cache') });
    await service.loaded;
    expect(service.status().ready).toBe(false);
    expect(service.status().message).toMatch(new RegExp(`artifact format version ${ARTIFACT_FORMAT_VERSION + 1} is not supported by this gateway`));
    expect(service.current()).toBeUndefined();
  });

  it('stays not ready naming the path when the file is missing', async () => {
    const service = createIntentService({ uri: join(directory, 'absent.bin.gz'), cacheDir: join(directory, 'cache') });
    await service.loaded;
    expect(service.status().ready).toBe(false);
    expect(service.status().message).toMatch(/absent\.bin\.gz/);
  });

  it('downloads from s3:// with the AWS SDK, caches it and revalidates with If-None-Match', async () => {
    s3.objects.set('models/intent/model.bin.gz', bytes);
    const cacheDir = join(directory, 's3-cache');
    const first = createIntentService({ uri: 's3://models/intent/model.bin.gz', cacheDir, s3: s3Options(s3.endpoint) });
    await first.loaded;
    expect(first.status()).toMatchObject({ ready: true, version: 'test.tiny' });
    expect(first.status().message).toMatch(/downloaded from s3:\/\/models\/intent\/model\.bin\.gz/);
    const download = s3.requests.at(-1)!;
    expect(download).toMatchObject({ method: 'GET', path: '/models/intent/model.bin.gz', status: 200 });
    expect(download.headers.authorization).toMatch(/^AWS4-HMAC-SHA256 Credential=test-access-key\//);

    const second = createIntentService({ uri: 's3://models/intent/model.bin.gz', cacheDir, s3: s3Options(s3.endpoint) });
    await second.loaded;
    expect(second.status().ready).toBe(true);
    expect(second.status().message).toMatch(/not modified/);
    expect(s3.requests.at(-1)).toMatchObject({ status: 304 });
    expect(download.headers['if-none-match']).toBeUndefined();
    expect(s3.requests.at(-1)!.headers['if-none-match']).toBe(`"${createHash('md5').update(bytes).digest('hex')}"`);

    s3.unavailable = true;
    try {
      const third = createIntentService({ uri: 's3://models/intent/model.bin.gz', cacheDir, s3: s3Options(s3.endpoint) });
      await third.loaded;
      expect(third.status().ready).toBe(true);
      expect(third.status().message).toMatch(/unavailable.*using the cache/);
    } finally {
      s3.unavailable = false;
    }
  });

  it('stays not ready when the S3 key does not exist and nothing is cached', async () => {
    const service = createIntentService({ uri: 's3://models/missing.bin.gz', cacheDir: join(directory, 'empty-cache'), s3: s3Options(s3.endpoint) });
    await service.loaded;
    expect(service.status().ready).toBe(false);
    expect(service.status().message).toMatch(/s3:\/\/models\/missing\.bin\.gz not loaded/);
    expect(s3.requests.at(-1)).toMatchObject({ path: '/models/missing.bin.gz', status: 404 });
  });

  it('under a GetObject-only role, a missing key is 403 AccessDenied: not ready, saying the key may be missing', async () => {
    s3.getObjectOnly = true;
    try {
      const service = createIntentService({ uri: 's3://models/never-uploaded.bin.gz', cacheDir: join(directory, 'denied-cache'), s3: s3Options(s3.endpoint) });
      await service.loaded;
      expect(service.status().ready).toBe(false);
      expect(service.status().message).toMatch(/access denied \(403\)\. A role with s3:GetObject only also gets 403 for a key that does not exist/);
      expect(s3.requests.at(-1)).toMatchObject({ path: '/models/never-uploaded.bin.gz', status: 403 });
    } finally {
      s3.getObjectOnly = false;
    }
  });

  it('under a GetObject-only role, keeps serving the cached artifact when the object later answers 403', async () => {
    s3.objects.set('models/removed.bin.gz', bytes);
    const cacheDir = join(directory, 'removed-cache');
    const first = createIntentService({ uri: 's3://models/removed.bin.gz', cacheDir, s3: s3Options(s3.endpoint) });
    await first.loaded;
    expect(first.status().ready).toBe(true);
    s3.objects.delete('models/removed.bin.gz');
    s3.getObjectOnly = true;
    try {
      const second = createIntentService({ uri: 's3://models/removed.bin.gz', cacheDir, s3: s3Options(s3.endpoint) });
      await second.loaded;
      expect(s3.requests.at(-1)).toMatchObject({ path: '/models/removed.bin.gz', status: 403 });
      expect(second.status()).toMatchObject({ ready: true, version: 'test.tiny' });
      expect(second.status().message).toMatch(/unavailable \(Access Denied\); using the cache at /);
      expect(second.current()?.predict('what is my account balance').intent.name).toBe('balance');
    } finally {
      s3.getObjectOnly = false;
    }
  });

  it('refuses a corrupt object from S3 instead of caching it', async () => {
    s3.objects.set('models/corrupt.bin.gz', Buffer.from('definitely not a model'));
    const cacheDir = join(directory, 'corrupt-cache');
    const service = createIntentService({ uri: 's3://models/corrupt.bin.gz', cacheDir, s3: s3Options(s3.endpoint) });
    await service.loaded;
    expect(service.status().ready).toBe(false);
    expect(service.status().message).toMatch(/not a valid gzip/);
  });

  it('reports a malformed s3 URI', async () => {
    const service = createIntentService({ uri: 's3://just-a-bucket', cacheDir: directory });
    await service.loaded;
    expect(service.status()).toMatchObject({ ready: false });
    expect(service.status().message).toMatch(/s3:\/\/bucket\/key/);
  });
});
