/**
 * `npm run bench [-- name ...]`: runs every `bench/*.bench.ts` module (or the named ones) and
 * writes their sections into BENCHMARKS.md, keeping sections of modules that were not run.
 */
import { readFile, readdir, writeFile } from 'node:fs/promises';
import { cpus, totalmem, type } from 'node:os';
import { basename, dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { BenchRun, BenchSection } from './bench/types.js';

const here = dirname(fileURLToPath(import.meta.url));
const root = join(here, '..', '..');
const outputPath = join(root, 'BENCHMARKS.md');

function machine(): string {
  const cpu = cpus()[0]?.model ?? 'unknown CPU';
  return `${type()} · ${cpus().length} × ${cpu} · ${(totalmem() / 2 ** 30).toFixed(0)} GiB RAM · Node ${process.version}`;
}

function parseSections(markdown: string): Map<string, string> {
  const sections = new Map<string, string>();
  const parts = markdown.split(/^## /m).slice(1);
  for (const part of parts) {
    const newline = part.indexOf('\n');
    sections.set(part.slice(0, newline).trim(), part.slice(newline + 1).trim());
  }
  return sections;
}

async function main(): Promise<void> {
  const wanted = process.argv.slice(2).filter((argument) => !argument.startsWith('-'));
  const files = (await readdir(join(here, 'bench')))
    .filter((file) => file.endsWith('.bench.ts'))
    .sort()
    .filter((file) => wanted.length === 0 || wanted.includes(basename(file, '.bench.ts')));
  if (files.length === 0) {
    console.error(`no benchmark matches ${wanted.join(', ')}`);
    process.exit(2);
  }
  let existing = new Map<string, string>();
  try {
    existing = parseSections(await readFile(outputPath, 'utf8'));
  } catch {
    // first run: no file yet
  }
  for (const file of files) {
    console.log(`▶ ${file}`);
    const module = (await import(join(here, 'bench', file))) as { run: BenchRun };
    const started = performance.now();
    const result = await module.run();
    const sections: BenchSection[] = Array.isArray(result) ? result : [result];
    const stamp = `\n\n_${new Date().toISOString().slice(0, 10)} · ${machine()} · \`npm run bench -- ${basename(file, '.bench.ts')}\` · ${((performance.now() - started) / 1000).toFixed(1)} s_`;
    for (const section of sections) existing.set(section.title, section.markdown.trim() + stamp);
    console.log(sections.map((section) => `## ${section.title}\n${section.markdown}`).join('\n\n'));
  }
  const body = [...existing.entries()].map(([title, markdown]) => `## ${title}\n\n${markdown}\n`).join('\n');
  const header = `# Benchmarks\n\nWritten by \`npm run bench\` (all) or \`npm run bench -- NAME\` (one module of \`scripts/src/bench/\`).\nTimings are reported against a baseline measured in the same run. Machine of the last run: ${machine()}.\n\n`;
  await writeFile(outputPath, header + body);
  console.log(`wrote ${outputPath}`);
}

main().catch((error: unknown) => {
  console.error(error);
  process.exit(1);
});
