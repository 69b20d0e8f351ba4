import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { environment, type ConfigSpec } from '@review-assistant/shared';
import { gatewayConfigSpec } from '@review-assistant/cloud-gateway';
import { workerConfigSpec, networkingConfigSpec } from '@review-assistant/local-worker';

const readme = readFileSync(fileURLToPath(new URL('../../README.md', import.meta.url)), 'utf8');

/** The table rows of the README keyed by the variable in their first cell. */
function tableRows(): Map<string, string[]> {
  const rows = new Map<string, string[]>();
  for (const line of readme.split('\n')) {
    const match = /^\| `([A-Z][A-Z0-9_]*)` \|(.*)\|\s*$/.exec(line);
    if (match?.[1] === undefined || match[2] === undefined) continue;
    rows.set(match[1], match[2].split(/(?<!\\)\|/).map((cell) => cell.trim()));
  }
  return rows;
}

describe('README', () => {
  const rows = tableRows();
  const entries = Object.values(environment);

  it('has a configuration row for every variable of shared/src/environment.ts', () => {
    const missing = entries.map((entry) => entry.env).filter((name) => !rows.has(name));
    expect(missing).toEqual([]);
    expect(entries.length).toBeGreaterThan(15);
  });

  it('has a row for every variable the gateway and the worker read', () => {
    const specs: ConfigSpec[] = [gatewayConfigSpec, workerConfigSpec, networkingConfigSpec];
    const names = new Set(specs.flatMap((spec) => Object.values(spec).map((entry) => entry.env)));
    expect([...names].filter((name) => !rows.has(name))).toEqual([]);
    expect(names.size).toBeGreaterThan(entries.length);
  });

  it('states each variable\'s default as the code has it', () => {
    for (const entry of entries) {
      const defaultCell = rows.get(entry.env)?.[0];
      const expected =
        entry.default === undefined ? '(unset)' : entry.default === '' ? '(empty)' : `\`${String(entry.default)}\``;
      expect({ variable: entry.env, default: defaultCell }).toEqual({ variable: entry.env, default: expected });
    }
  });

  it('marks every secret variable as never logged', () => {
    for (const entry of entries.filter((candidate) => candidate.secret === true)) {
      expect(rows.get(entry.env)?.join(' '), entry.env).toContain('never logged');
    }
  });

  it('gives the quick start as exactly two commands: run everything, run every test', () => {
    const quickStart = /## Quick start\s+```bash\n([\s\S]*?)```/.exec(readme)?.[1] ?? '';
    const commands = quickStart.split('\n').map((line) => line.replace(/#.*$/, '').trim()).filter((line) => line !== '');
    expect(commands).toEqual(['npm install && npm start', 'npm test']);
  });
});

describe('README links', () => {
  it('points only at files that exist in the repository', () => {
    const root = fileURLToPath(new URL('../../', import.meta.url));
    const targets = [...readme.matchAll(/\]\((?!https?:|#)([^)\s]+)\)/g)].map((match) => match[1] as string);
    expect(targets.length).toBeGreaterThan(3);
    expect(targets.filter((target) => !existsSync(join(root, target.split('#')[0] as string)))).toEqual([]);
  });
});
