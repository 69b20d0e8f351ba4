import { readFileSync } from 'node:fs';
import { open, readFile, rm } from 'node:fs/promises';
import { setTimeout as sleep } from 'node:timers/promises';

/** Options of {@link withFileLock}. */
export interface FileLockOptions {
  /**
   * How long to wait for another holder before giving up.
   * @default 300_000 (preparing the glibc loader downloads a few MB)
   */
  timeoutMs?: number;
  /** @default 100 */
  pollMs?: number;
}

/** True when a process with this pid exists (a zombie counts as gone). */
export function isProcessAlive(pid: number): boolean {
  if (!Number.isInteger(pid) || pid <= 0) return false;
  try {
    process.kill(pid, 0);
  } catch (error) {
    // EPERM: it exists but belongs to someone else
    return (error as NodeJS.ErrnoException).code === 'EPERM';
  }
  return !isZombie(pid);
}

function isZombie(pid: number): boolean {
  // /proc/<pid>/stat: "pid (comm) S ..."; comm may contain spaces, so read after the last ')'
  const stat = readFileSyncSafe(`/proc/${pid}/stat`);
  if (stat === undefined) return false;
  const state = stat.charAt(stat.lastIndexOf(')') + 2);
  return state === 'Z' || state === 'X';
}

function readFileSyncSafe(path: string): string | undefined {
  try {
    return readFileSync(path, 'utf8');
  } catch {
    return undefined;
  }
}

/**
 * Runs `action` while holding an exclusive lock file (created with O_EXCL, holding our pid).
 * A lock left behind by a dead process is taken over, so a crash never blocks later runs.
 */
export async function withFileLock<T>(lockPath: string, action: () => Promise<T>, options: FileLockOptions = {}): Promise<T> {
  const timeoutMs = options.timeoutMs ?? 300_000;
  const pollMs = options.pollMs ?? 100;
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    try {
      const handle = await open(lockPath, 'wx');
      try {
        await handle.writeFile(String(process.pid));
      } finally {
        await handle.close();
      }
      break;
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error;
      const holder = Number.parseInt(await readFile(lockPath, 'utf8').catch(() => ''), 10);
      // An empty file means the holder is between open and write: wait for it.
      if (Number.isInteger(holder) && !isProcessAlive(holder)) {
        await rm(lockPath, { force: true });
        continue;
      }
      if (Date.now() > deadline) {
        throw new Error(`Timed out after ${timeoutMs} ms waiting for the lock ${lockPath} (held by pid ${holder}).`);
      }
      await sleep(pollMs);
    }
  }
  try {
    return await action();
  } finally {
    await rm(lockPath, { force: true });
  }
}
