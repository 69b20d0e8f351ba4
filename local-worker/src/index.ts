/** Public surface of the local worker (service side); CLIs and tests import from here or from the files. */
export type * from './ports.js';
export { createApp, type WorkerAppDependencies } from './app.js';
export { startWorker, WorkerStartError, type RunningWorker, type StartWorkerOptions } from './server.js';
export { loadWorkerConfig, workerConfigSpec, type WorkerConfig } from './config.js';
export { createBackends, type Backends, type BackendStatus, type BackendsConfig } from './backends.js';
export { ChatService, DEFAULT_CHAT_K, NOTHING_FOUND_ANSWER, toErrorEvent, type ChatServiceOptions } from './chat/chat-service.js';
export { ConcurrencyGate, type GateSnapshot } from './chat/concurrency-gate.js';
export { HeuristicQueryRewriter, LlmQueryRewriter, type QueryRewriter } from './chat/query-rewriter.js';
export { SYSTEM_PROMPT, buildGroundedMessages, neutralise, parseGroundedPrompt, renderGroundedUserMessage } from './chat/grounded-prompt.js';
export { HealthReporter, type HealthReporterOptions } from './routes/health.js';
export { retrieveReviews } from './routes/retrieve.js';
export { LangChainReviewRetriever, type LangChainReviewRetrieverInput, type ReviewDocumentMetadata } from './retrieval/langchain-retriever.js';
export { createWorkerServices, type WorkerServices } from './worker-services.js';
export { OllamaChatModel, type OllamaChatModelOptions } from './models/ollama-chat-model.js';
export { OllamaEmbeddingModel, QUERY_PREFIXES, type OllamaEmbeddingModelOptions } from './models/ollama-embedding-model.js';
export { OllamaModelManager, type ManagedModel, type PullProgress } from './models/model-manager.js';
export { OfflineChatModel, OFFLINE_CHAT_MODEL_ID, OFFLINE_NOTICE } from './models/offline-chat.js';
export { signatureMiddleware, type SignatureMiddlewareOptions } from './security/signature-middleware.js';
