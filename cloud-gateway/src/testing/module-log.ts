import type { ChildProcess } from 'node:child_process';
import { readFile } from 'node:fs/promises';

const END_MARK = '# end of module log';

/** Runs in Node's loader thread: appends every module URL the process loads to the log file. */
const LOADER_HOOKS = `
import { appendFileSync } from 'node:fs';
let file;
export function initialize(data) { file = data.file; }
export async function load(url, context, nextLoad) {
  const result = await nextLoad(url, context);
  appendFileSync(file, url + '\\n');
  return result;
}`;

/** Preloaded with --import: registers the hooks; on SIGUSR2 adds the CommonJS modules (require.cache) and an end mark. */
const preload = (file: string) => `
import { register, createRequire } from 'node:module';
import { appendFileSync } from 'node:fs';
import { pathToFileURL } from 'node:url';
const file = ${JSON.stringify(file)};
register('data:text/javascript,' + encodeURIComponent(${JSON.stringify(LOADER_HOOKS)}), { data: { file } });
// require.cache is the one CommonJS cache of the process, whichever module asks
const require = createRequire(pathToFileURL(process.cwd() + '/').href);
process.on('SIGUSR2', () => {
  appendFileSync(file, Object.keys(require.cache).map((path) => pathToFileURL(path).href + '\\n').join('') + '${END_MARK}\\n');
});`;

/**
 * Node flags that make a process record the modules it loads in `file`: ES modules as they load
 * (a loader hook), CommonJS modules (which `require` each other outside the hooks) when the process
 * gets SIGUSR2. Read the list with {@link readModuleLog}.
 */
export function moduleLogFlags(file: string): string[] {
  return ['--import', `data:text/javascript,${encodeURIComponent(preload(file))}`];
}

/** Asks `child` (started with {@link moduleLogFlags}) for its CommonJS modules and returns every module URL it has loaded. */
export async function readModuleLog(child: ChildProcess, file: string, timeoutMs = 10_000): Promise<string[]> {
  child.kill('SIGUSR2');
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const text = await readFile(file, 'utf8').catch(() => '');
    if (text.includes(END_MARK)) return [...new Set(text.split('\n').filter((line) => line !== '' && line !== END_MARK))];
    if (Date.now() > deadline) throw new Error(`no module log from process ${child.pid} within ${timeoutMs} ms`);
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}
