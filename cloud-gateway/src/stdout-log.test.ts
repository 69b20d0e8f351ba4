import { spawn } from 'node:child_process';
import { resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';

const here = fileURLToPath(new URL('.', import.meta.url));
const fixture = resolve(here, 'stdout-log.fixture.ts');

/** Runs the fixture and returns its exit code and the log lines it wrote to stdout. */
function run(how: string): Promise<{ code: number | null; lines: Record<string, unknown>[] }> {
  const child = spawn(process.execPath, ['--import', 'tsx', '--conditions=development', fixture, how], { cwd: resolve(here, '../..'), stdio: ['ignore', 'pipe', 'pipe'] });
  let stdout = '';
  child.stdout.on('data', (chunk: Buffer) => (stdout += chunk.toString()));
  child.stderr.resume();
  return new Promise((resolveRun) => {
    child.once('close', (code) => resolveRun({ code, lines: stdout.split('\n').filter(Boolean).map((line) => JSON.parse(line) as Record<string, unknown>) }));
  });
}

describe('stdoutLog (the gateway log destination)', () => {
  it.each([
    ['process.exit()', 'exit', 3],
    ['an uncaught exception', 'throw', 1],
    ['an unhandled rejection', 'rejection', 1],
    ['close() at graceful shutdown', 'close', 0],
  ])('writes the lines still buffered when the process ends by %s', async (_name, how, code) => {
    const result = await run(how);
    expect(result.code).toBe(code);
    expect(result.lines.map((line) => [line.msg, line.index, line.service])).toEqual([
      ['buffered line', 0, 'gateway'],
      ['buffered line', 1, 'gateway'],
      ['buffered line', 2, 'gateway'],
    ]);
  });

  it('writes many lines whole and in order across batches', async () => {
    const result = await run('many');
    expect(result.code).toBe(3);
    expect(result.lines.map((line) => line.index)).toEqual(Array.from({ length: 200 }, (_, index) => index));
  });
});
