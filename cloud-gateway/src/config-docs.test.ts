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
    for (const entry of own) {
      const row = markdown.split('\n').find((line) => line.startsWith(`| \`${entry.env}\` |`));
      expect(row, entry.env).toBeDefined();
      const fallback = 'default' in entry ? String(entry.default) : '';
      expect(row, entry.env).toContain(fallback === '' ? '(empty)' : fallback);
    }
  });
});
