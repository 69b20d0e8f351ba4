import { readFile } from 'node:fs/promises';
import { describe, expect, it } from 'vitest';
import { environment } from '@review-assistant/shared';
import { gatewayConfigSpec } from './config.js';

describe('docs/GATEWAY.md', () => {
  it('documents every gateway-only variable with its default', async () => {
    const markdown = await readFile(new URL('../../docs/GATEWAY.md', import.meta.url), 'utf8');
    const shared = new Set(Object.values(environment).map((entry) => entry.env));
    const own = Object.values(gatewayConfigSpec).filter((entry) => !shared.has(entry.env));
    expect(own.length).toBeGreaterThan(5);
    const defaults = new Map(
      markdown
        .split('\n')
        .filter((line) => line.startsWith('| `'))
        .map((line) => line.split('|').map((cell) => cell.trim()))
        .map((cells) => [cells[1]?.replace(/^`|`$/g, ''), cells[2]?.replace(/^`|`$/g, '')] as const),
    );
    for (const entry of own) {
      const stated = 'default' in entry ? entry.default : undefined;
      const expected = stated === undefined ? '(unset)' : stated === '' ? '(empty)' : String(stated);
      // the whole default cell, so a default of 8 does not match a row that merely contains an 8
      expect({ variable: entry.env, default: defaults.get(entry.env) }).toEqual({ variable: entry.env, default: expected });
    }
  });
});
