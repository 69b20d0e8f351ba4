/**
 * Test helpers of infra (`@review-assistant/infra/testing`): the stack's boot options and the real
 * Node 22 binary production runs (the release smoke test, the gateway memory benchmark). Resolved
 * only under the `development` condition (tsx, vitest); never part of a production build.
 */
export * from './boot-options.js';
export { node22Binary, NODE22_VERSION } from '../release/testing/node22.js';
