import { fileURLToPath } from 'node:url';
import { defineConfig } from 'vitest/config';

// Workspace sources are imported through the "development" export condition, so tests run
// against src/*.ts without a build step.
const resolve = { conditions: ['development'] };
const ssr = { resolve: { conditions: ['development'], externalConditions: ['development'] } };

// Projects with browser tests find (or install) Chromium once before their files run, and fail at
// once with the one command that fixes it when they cannot (scripts/src/testing/chromium.ts).
const browserSetup = [fileURLToPath(new URL('./scripts/src/testing/browser-global-setup.ts', import.meta.url))];

const unit = (name: string, extra: Record<string, unknown> = {}) => ({
  resolve,
  ssr,
  test: {
    name,
    root: `./${name}`,
    include: ['src/**/*.test.ts'],
    testTimeout: 30_000,
    hookTimeout: 120_000,
    ...extra,
  },
});

export default defineConfig({
  test: {
    projects: [
      unit('shared'),
      unit('local-worker', { globalSetup: browserSetup }),
      unit('cloud-gateway', { globalSetup: browserSetup }),
      unit('scripts'),
      unit('infra'),
      {
        resolve,
        ssr,
        test: {
          name: 'e2e',
          root: './e2e',
          globalSetup: browserSetup,
          include: ['**/*.test.ts'],
          testTimeout: 120_000,
          hookTimeout: 300_000,
          // whole-system tests start real processes and ports; run their files one at a time
          fileParallelism: false,
        },
      },
      {
        resolve,
        ssr,
        test: {
          // fault, fuzz, load and prompt-injection suites against the compiled services
          // (`npm run test:faults`; docs/SECURITY.md); they kill and restart real processes and
          // measure recovery, so their files run one at a time
          name: 'faults',
          root: './faults',
          include: ['**/*.test.ts'],
          testTimeout: 180_000,
          hookTimeout: 300_000,
          fileParallelism: false,
        },
      },
    ],
  },
});
