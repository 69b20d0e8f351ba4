/**
 * Test helpers of the worker (`@review-assistant/local-worker/testing`): the Ollama double, a
 * throw-away Chroma, recording ports, a heartbeat-receiving gateway and glibc stand-ins. Resolved
 * only under the `development` condition (tsx, vitest); never part of a production build.
 */
export * from './backend-worker-app.js';
export * from './chroma-fixture.js';
export * from './glibc-stand-ins.js';
export * from './heartbeat-gateway.js';
export * from './ollama-double.js';
export * from './recording-ports.js';
