import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';

const root = fileURLToPath(new URL('../../', import.meta.url));
const workspaces = (JSON.parse(readFileSync(join(root, 'package.json'), 'utf8')) as { workspaces: string[] }).workspaces;

type Conditions = Record<string, string>;
function exportsOf(workspace: string): Record<string, Conditions> {
  return (JSON.parse(readFileSync(join(root, workspace, 'package.json'), 'utf8')) as { exports: Record<string, Conditions> }).exports;
}

describe('package boundaries (docs/ARCHITECTURE.md "Package boundaries")', () => {
  it.each(workspaces)('%s exports named entries only, no "./*" pattern', (workspace) => {
    const entries = Object.keys(exportsOf(workspace));
    expect(entries).toContain('.');
    expect(entries.filter((entry) => entry.includes('*'))).toEqual([]);
  });

  it.each(workspaces)('%s: each entry maps development to src/<x>.ts, types and default to dist/<x>; ./testing is source only', (workspace) => {
    for (const [entry, conditions] of Object.entries(exportsOf(workspace))) {
      const source = conditions['development'];
      expect(source, `${workspace} ${entry}`).toMatch(/^\.\/src\/.+\.ts$/);
      expect(existsSync(join(root, workspace, source!)), `${workspace} ${entry}: ${source}`).toBe(true);
      if (entry === './testing') {
        // test helpers are never built: no types/default that a production import could reach
        expect(conditions, `${workspace} ${entry}`).toEqual({ development: './src/testing/index.ts' });
        continue;
      }
      const module = source!.slice('./src/'.length, -'.ts'.length);
      expect(conditions, `${workspace} ${entry}`).toEqual({ development: source, types: `./dist/${module}.d.ts`, default: `./dist/${module}.js` });
    }
  });
});
