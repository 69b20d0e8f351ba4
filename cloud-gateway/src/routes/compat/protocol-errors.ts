import type { ErrorShape } from '@review-assistant/shared/edge';

/** OpenAI's own codes where the protocol has one (clients and docs know them); ours otherwise. */
const openAiCodes: Record<string, string> = {
  unauthorized: 'invalid_api_key',
  rate_limited: 'rate_limit_exceeded',
  model_not_found: 'model_not_found',
};

/** OpenAI's error `type` by status class (see the `Error` schema of openai/openai-openapi). */
function openAiType(status: number): string {
  if (status === 401) return 'authentication_error';
  if (status === 403) return 'permission_error';
  if (status === 429) return 'rate_limit_error';
  if (status >= 500) return 'server_error';
  return 'invalid_request_error';
}

/** `{"error": {"message", "type", "param", "code"}}`, as OpenAI's API and its SDKs expect. */
export const openAiErrorShape: ErrorShape = (error, status) => ({
  error: {
    message: error.message,
    type: openAiType(status),
    param: null,
    code: openAiCodes[error.code] ?? error.code,
    ...(error.requestId === undefined ? {} : { request_id: error.requestId }),
  },
});

/** `{"error": "<message>"}`, as Ollama's API answers (the `ollama` clients raise it as `ResponseError`). */
export const ollamaErrorShape: ErrorShape = (error) => ({ error: error.message });
