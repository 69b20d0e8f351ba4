import { createHash } from 'node:crypto';
import { mkdir, readFile, rename, writeFile } from 'node:fs/promises';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { S3Client, S3ClientConfig } from '@aws-sdk/client-s3';

/** Where the model artifact comes from. */
export interface ArtifactSource {
  /** Human-readable location for logs and status messages. */
  readonly location: string;
  /**
   * Returns the artifact bytes after `verify` accepted them (it throws to refuse). Remote
   * sources cache verified bytes locally and fall back to the cache when the remote fails.
   */
  load(verify: (bytes: Uint8Array) => void): Promise<{ bytes: Uint8Array; note: string }>;
}

/** The bundled artifact, used when `INTENT_MODEL_URI` is unset. */
export const defaultArtifactPath = fileURLToPath(new URL('../../models/intent-model.bin.gz', import.meta.url));

export class FileArtifactSource implements ArtifactSource {
  readonly location: string;
  constructor(path: string) {
    this.location = resolve(path);
  }

  async load(verify: (bytes: Uint8Array) => void): Promise<{ bytes: Uint8Array; note: string }> {
    const bytes = await readFile(this.location);
    verify(bytes);
    return { bytes, note: `loaded from ${this.location}` };
  }
}

function httpStatusOf(error: unknown): number | undefined {
  if (typeof error !== 'object' || error === null || !('$metadata' in error)) return undefined;
  const metadata = (error as { $metadata?: { httpStatusCode?: number } }).$metadata;
  return metadata?.httpStatusCode;
}

async function readOptional(path: string): Promise<Buffer | undefined> {
  try {
    return await readFile(path);
  } catch {
    return undefined;
  }
}

async function writeAtomically(path: string, data: Uint8Array | string): Promise<void> {
  await mkdir(dirname(path), { recursive: true });
  const temporary = `${path}.${process.pid}.tmp`;
  await writeFile(temporary, data);
  await rename(temporary, path);
}

/**
 * `s3://bucket/key` through the AWS SDK v3 (default credential chain: the instance role on EC2).
 * Verified downloads are cached under `cacheDir` with their ETag; the next start sends
 * `If-None-Match` and reuses the cache on 304, or when S3 cannot be reached.
 */
export class S3ArtifactSource implements ArtifactSource {
  readonly location: string;
  private readonly cachePath: string;
  private readonly etagPath: string;

  /**
   * @param client the S3 client, or a function that creates it on first use (the SDK is then
   * only imported when an s3:// artifact is configured, which keeps the default gateway small)
   */
  constructor(
    private readonly client: S3Client | (() => Promise<S3Client>),
    private readonly bucket: string,
    private readonly key: string,
    cacheDir: string,
  ) {
    this.location = `s3://${bucket}/${key}`;
    const name = createHash('sha256').update(this.location).digest('hex').slice(0, 16);
    this.cachePath = join(cacheDir, 'intent-model', `${name}.bin.gz`);
    this.etagPath = `${this.cachePath}.etag`;
  }

  async load(verify: (bytes: Uint8Array) => void): Promise<{ bytes: Uint8Array; note: string }> {
    const cached = await readOptional(this.cachePath);
    const etag = cached === undefined ? undefined : (await readOptional(this.etagPath))?.toString('utf8').trim();
    try {
      const { GetObjectCommand } = await import('@aws-sdk/client-s3');
      const client = typeof this.client === 'function' ? await this.client() : this.client;
      const response = await client.send(
        new GetObjectCommand({ Bucket: this.bucket, Key: this.key, ...(etag ? { IfNoneMatch: etag } : {}) }),
      );
      if (response.Body === undefined) throw new Error(`${this.location} returned no body`);
      const bytes = await response.Body.transformToByteArray();
      verify(bytes);
      await writeAtomically(this.cachePath, bytes);
      await writeAtomically(this.etagPath, response.ETag ?? '');
      return { bytes, note: `downloaded from ${this.location} (${bytes.length} bytes), cached at ${this.cachePath}` };
    } catch (error) {
      if (httpStatusOf(error) === 304 && cached !== undefined) {
        verify(cached);
        return { bytes: cached, note: `${this.location} not modified; using the cache at ${this.cachePath}` };
      }
      if (cached !== undefined && httpStatusOf(error) !== 404 && !(error instanceof Error && error.name === 'ArtifactError')) {
        verify(cached);
        return { bytes: cached, note: `${this.location} unavailable (${(error as Error).message}); using the cache at ${this.cachePath}` };
      }
      if (httpStatusOf(error) === 403) {
        throw new Error(
          `${this.location}: access denied (403). A role with s3:GetObject only also gets 403 for a key that does not exist: check INTENT_MODEL_URI and that the artifact was uploaded.`,
          { cause: error },
        );
      }
      throw error;
    }
  }
}

/** Options for the S3 client; tests point `endpoint` at a local S3-compatible server. */
export type S3Options = Pick<S3ClientConfig, 'endpoint' | 'forcePathStyle' | 'region' | 'credentials'>;

/** The one place that picks the artifact backend from the URI. */
export function createArtifactSource(uri: string | undefined, options: { cacheDir: string; s3?: S3Options }): ArtifactSource {
  if (uri === undefined || uri === '') return new FileArtifactSource(defaultArtifactPath);
  if (uri.startsWith('s3://')) {
    const rest = uri.slice('s3://'.length);
    const slash = rest.indexOf('/');
    if (slash <= 0 || slash === rest.length - 1) throw new Error(`INTENT_MODEL_URI ${uri} must look like s3://bucket/key`);
    const createClient = async (): Promise<S3Client> => {
      const { S3Client: Client } = await import('@aws-sdk/client-s3');
      return new Client({ ...(options.s3 ?? {}) });
    };
    return new S3ArtifactSource(createClient, rest.slice(0, slash), rest.slice(slash + 1), options.cacheDir);
  }
  return new FileArtifactSource(uri.startsWith('file://') ? fileURLToPath(uri) : uri);
}
