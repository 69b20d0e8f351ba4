/**
 * The HTTP edge kit both services use (`@review-assistant/shared/edge`, Hono on Node): the one
 * request-body reader with its size limit, the one JSON body validator and issue formatter, the one
 * request-signature check and the one error renderer.
 */
export { readRequestBody, requestBodyLimit } from './request-body.js';
export { signatureMiddleware, signatureVerified, type SignatureMiddlewareOptions, type SignatureVariables } from './signature-middleware.js';
export { describeIssues, jsonBody, parseJsonBody, parseQuery, type ParseJsonBodyOptions } from './json-body.js';
export { requestContext, routeLabel, type FinishedRequest, type RequestContextOptions, type RequestContextVariables, type RequestLogger } from './request-context.js';
export { requestHeader } from './request-header.js';
export { EdgeServerResponse, setResponseHeaders, type HeaderList } from './response-headers.js';
export { createErrorRenderer, errorResponse, toErrorResponse, type ErrorLogger, type ErrorRendererOptions, type ErrorShape, type ErrorShapes } from './error-renderer.js';
