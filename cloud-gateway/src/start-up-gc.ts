/**
 * One full garbage collection once start-up has settled. Start-up leaves garbage behind that a
 * quiet gateway may keep for hours: the intent model's compressed file (~12 MB) and what it was
 * decoded through, the parsed module sources. An idle or lightly used gateway allocates too
 * little for V8 to start a full collection on its own (the young generation is collected, the old
 * one is not), so without this the RSS stays 10–15 MiB above what the live heap needs
 * (BENCHMARKS.md, "Gateway memory with the intent model"). V8 only offers the collection to
 * JavaScript under `--expose-gc`, which the production flags set (`GATEWAY_NODE_OPTIONS`); without
 * it (tests, `npm run gateway`) nothing happens.
 */

export type FullCollection = () => void;

/** `globalThis.gc` when the process runs with `--expose-gc`. */
export function exposedCollection(): FullCollection | undefined {
  const gc = (globalThis as { gc?: unknown }).gc;
  return typeof gc === 'function' ? (gc as FullCollection) : undefined;
}

/** Resident set size before and after the collection, in bytes. */
export interface StartUpCollection {
  rssBefore: number;
  rssAfter: number;
}

/**
 * Waits for `startUp` to settle (resolved or rejected) and then runs `gc` once.
 * @returns the RSS around the collection, or undefined when no collection could run
 */
export async function collectStartUpGarbage(startUp: Promise<unknown>, gc: FullCollection | undefined = exposedCollection()): Promise<StartUpCollection | undefined> {
  await startUp.catch(() => undefined);
  if (!gc) return undefined;
  const rssBefore = process.memoryUsage.rss();
  gc();
  return { rssBefore, rssAfter: process.memoryUsage.rss() };
}
