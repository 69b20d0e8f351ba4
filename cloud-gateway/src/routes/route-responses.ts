import type { ResponseConfig } from '@asteasolutions/zod-to-openapi';
import { z } from 'zod';
import { ErrorBodySchema } from '@review-assistant/shared';
import type { SecurityRequirement } from './route-declaration.js';

/** Building blocks of route declarations: response descriptions and the gateway's credentials. */

/** A JSON response. */
export const jsonResponse = (description: string, schema: z.ZodType): ResponseConfig => ({ description, content: { 'application/json': { schema } } });

/** A response of another content type (`text/html`, `text/event-stream`, ...); the body is a string unless `schema` says what each piece is. */
export const contentResponse = (description: string, contentType: string, schema: z.ZodType = z.string()): ResponseConfig => ({
  description,
  content: { [contentType]: { schema } },
});

/** What each error status means on the gateway's routes. */
const errorMeanings: Record<number, string> = {
  400: 'Invalid JSON, or a field the schema refuses (the message names it)',
  401: 'Missing or invalid credentials',
  403: 'Not allowed for this caller',
  404: 'Not found',
  413: 'Body over the size limit (counted as it arrives)',
  415: 'Body is not JSON (send Content-Type: application/json)',
  429: 'Rate-limited; Retry-After says when to try again',
  502: 'The worker failed or sent an unexpected answer',
  503: 'Not ready, or no worker available (Retry-After when busy)',
  504: 'The worker did not answer in time',
};

/**
 * Error responses for `statuses` in `schema`'s shape (the gateway's `{"error": {"code", "message"}}`
 * unless a compatible API renders its own); a status may carry its own description.
 */
export function errorResponses(statuses: readonly (number | [number, string])[], schema: z.ZodType = ErrorBodySchema): Record<number, ResponseConfig> {
  return Object.fromEntries(
    statuses.map((entry) => {
      const [status, description] = typeof entry === 'number' ? [entry, errorMeanings[entry] ?? `Error (${entry})`] : entry;
      return [status, jsonResponse(description, schema)];
    }),
  );
}

/** `Authorization: Bearer <one of API_KEYS>` or `X-API-Key: <key>` (`apiKeyAuth`). */
export const API_KEY: readonly SecurityRequirement[] = [{ bearerKey: [] }, { apiKeyHeader: [] }];
/** `Authorization: Bearer <ADMIN_TOKEN>`. */
export const ADMIN_TOKEN: readonly SecurityRequirement[] = [{ adminToken: [] }];
/** No credential from loopback clients; `Authorization: Bearer <METRICS_TOKEN>` from anywhere else. */
export const METRICS_TOKEN: readonly SecurityRequirement[] = [{}, { metricsToken: [] }];
/** The worker's HMAC signature (`X-Signature`, `X-Signature-Timestamp`, `X-Signature-Nonce`). */
export const WORKER_SIGNATURE: readonly SecurityRequirement[] = [{ workerSignature: [] }];
