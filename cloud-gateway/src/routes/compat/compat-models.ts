/** The assistant as a model: retrieval-grounded answers about restaurant reviews. */
export const CHAT_MODEL_ID = 'review-assistant';
/** The worker's embedding model behind the compatible embedding endpoints. */
export const EMBEDDING_MODEL_ID = 'review-assistant-embed';
/** When the model ids were first published (OpenAI's `created`, Ollama's `modified_at`). */
export const MODELS_CREATED = Date.UTC(2026, 10, 1) / 1000;

/** Ollama clients name models `name:tag`; `review-assistant` and `review-assistant:latest` are one model. */
export function withoutLatestTag(model: string): string {
  return model.endsWith(':latest') ? model.slice(0, -':latest'.length) : model;
}
