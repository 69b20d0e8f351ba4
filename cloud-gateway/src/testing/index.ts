/**
 * Test helpers of the gateway (`@review-assistant/cloud-gateway/testing`): doubles that speak the
 * real protocols (worker, S3, DynamoDB through dynalite), an in-process gateway harness and the
 * compiled-gateway launcher. Resolved only under the `development` condition (tsx, vitest); never
 * part of a production build.
 */
export * from './compiled-gateway.js';
export * from './dynalite-server.js';
export * from './dynamo-fault-proxy.js';
export * from './gateway-harness.js';
export * from './module-log.js';
export { readServerSentEvents, type ServerSentMessage } from '../ui/client/sse-parser.js';
export * from './s3-double.js';
export * from './tiny-intent-artifact.js';
export * from './worker-double.js';
