import { randomBytes } from 'node:crypto';
import { mkdir, readFile, writeFile } from 'node:fs/promises';
import { hostname } from 'node:os';
import { join } from 'node:path';

const WORKER_ID = /^[A-Za-z0-9._-]{1,128}$/;

/**
 * The worker's stable id: `WORKER_ID` when set, else the id stored in `DATA_DIR/worker-id`, else a
 * new one (`<hostname>-<6 hex>`) written there, so restarts keep the same identity at the gateway.
 */
export async function resolveWorkerId(options: { dataDir: string; configured?: string | undefined }): Promise<string> {
  if (options.configured) return options.configured;
  const file = join(options.dataDir, 'worker-id');
  const stored = await readFile(file, 'utf8').then((text) => text.trim(), () => '');
  if (WORKER_ID.test(stored)) return stored;
  const base = hostname().toLowerCase().replace(/[^a-z0-9.-]+/g, '-').replace(/^-+|-+$/g, '').slice(0, 100) || 'worker';
  const id = `${base}-${randomBytes(3).toString('hex')}`;
  await mkdir(options.dataDir, { recursive: true });
  await writeFile(file, `${id}\n`, 'utf8');
  return id;
}
