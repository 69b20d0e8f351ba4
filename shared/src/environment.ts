import { z } from 'zod';
import { configEntry, envBoolean, envList, envPort, envUrl } from './config.js';

/** Shortest accepted entry of `API_KEYS`: a short key can be guessed, rate limit or not. */
export const MIN_API_KEY_LENGTH = 20;

/**
 * Every environment variable of the operational contract (DESIGN.md), with its default.
 * Services pick the entries they need; the README's table is checked against this list.
 */
export const environment = {
  port: configEntry({ env: 'PORT', schema: envPort, default: 8080, example: '8080', description: 'Gateway HTTP port.' }),
  workerPort: configEntry({ env: 'WORKER_PORT', schema: envPort, default: 8787, example: '8787', description: 'Worker HTTP port.' }),
  host: configEntry({ env: 'HOST', schema: z.string().min(1), default: '127.0.0.1', example: '0.0.0.0', description: 'Address the gateway listens on (0.0.0.0 in containers / on EC2).' }),
  dataDir: configEntry({ env: 'DATA_DIR', schema: z.string().min(1), default: './data', example: './data', description: 'Local state: embedded Chroma, logs, caches.' }),
  chromaUrl: configEntry({ env: 'CHROMA_URL', schema: envUrl.optional(), example: 'http://127.0.0.1:8000', description: 'External Chroma server; unset: the embedded one.' }),
  ollamaHost: configEntry({ env: 'OLLAMA_HOST', schema: envUrl, default: 'http://127.0.0.1:11434', example: 'http://127.0.0.1:11434', description: 'Ollama server (keep it on loopback).' }),
  modelBackend: configEntry({ env: 'MODEL_BACKEND', schema: z.enum(['auto', 'ollama', 'offline']), default: 'auto', example: 'offline', description: 'auto: Ollama when reachable, else offline.' }),
  chatModel: configEntry({ env: 'CHAT_MODEL', schema: z.string().min(1), default: 'llama3.2', example: 'llama3.2', description: 'Ollama chat model.' }),
  embedModel: configEntry({ env: 'EMBED_MODEL', schema: z.string().min(1), default: 'mxbai-embed-large', example: 'mxbai-embed-large', description: 'Ollama embedding model.' }),
  workerUrls: configEntry({ env: 'WORKER_URLS', schema: envList, default: '', example: 'http://127.0.0.1:8787', description: 'Static worker list (comma-separated).' }),
  workerSharedSecret: configEntry({ env: 'WORKER_SHARED_SECRET', schema: z.string().min(16, 'must be at least 16 characters').optional(), example: '$(openssl rand -hex 32)', description: 'HMAC secret shared by gateway and workers.', secret: true }),
  gatewayUrl: configEntry({ env: 'GATEWAY_URL', schema: envUrl.optional(), example: 'https://gateway.example.com', description: 'Where a worker sends heartbeats.' }),
  ngrokAuthtoken: configEntry({ env: 'NGROK_AUTHTOKEN', schema: z.string().min(1).optional(), example: '2abc...', description: 'ngrok token; unset: no tunnel.', secret: true }),
  ngrokDomain: configEntry({ env: 'NGROK_DOMAIN', schema: z.string().min(1).optional(), example: 'my-worker.ngrok-free.app', description: 'Static ngrok domain.' }),
  intentModelUri: configEntry({ env: 'INTENT_MODEL_URI', schema: z.string().min(1).optional(), example: 's3://bucket/intent-model.json', description: 'Intent model artifact (path or s3://); unset: the bundled one.' }),
  logStore: configEntry({ env: 'LOG_STORE', schema: z.enum(['local', 'dynamodb']), default: 'local', example: 'dynamodb', description: 'Where interaction logs go.' }),
  logTable: configEntry({ env: 'LOG_TABLE', schema: z.string().min(3).optional(), example: 'review-assistant-interactions', description: 'DynamoDB table for interaction logs.' }),
  workerRegistryTable: configEntry({ env: 'WORKER_REGISTRY_TABLE', schema: z.string().min(3).optional(), example: 'review-assistant-workers', description: 'DynamoDB table of the shared worker registry and rate-limit buckets (WORKER_REGISTRY=dynamodb).' }),
  dynamodbEndpoint: configEntry({ env: 'AWS_ENDPOINT_URL_DYNAMODB', schema: envUrl.optional(), example: 'http://127.0.0.1:4567', description: "The AWS SDK's own variable: a DynamoDB-compatible server for both stores (local development)." }),
  adminToken: configEntry({ env: 'ADMIN_TOKEN', schema: z.string().min(16, 'must be at least 16 characters').optional(), example: '$(openssl rand -hex 24)', description: 'Bearer token for admin pages; unset: admin disabled.', secret: true }),
  apiKeys: configEntry({ env: 'API_KEYS', schema: envList.pipe(z.array(z.string().min(MIN_API_KEY_LENGTH, `each key must be at least ${MIN_API_KEY_LENGTH} characters (openssl rand -hex 24 makes one)`))), default: '', example: 'k1-0123456789abcdef0123,k2-fedcba9876543210fedc', description: 'Keys for /api/embed|retrieve|generate.', secret: true }),
  intentRateLimitPerMinute: configEntry({ env: 'INTENT_RATE_LIMIT_PER_MINUTE', schema: z.coerce.number().int().positive('expected a positive integer'), default: 300, example: '300', description: 'Texts per client IP per minute on /api/intent and /api/intent/batch (refill rate).' }),
  intentRateLimitBurst: configEntry({ env: 'INTENT_RATE_LIMIT_BURST', schema: z.coerce.number().int().positive('expected a positive integer'), default: 150, example: '150', description: 'Texts a client IP may send at once to the intent API.' }),
  metricsToken: configEntry({ env: 'METRICS_TOKEN', schema: z.string().min(16, 'must be at least 16 characters').optional(), example: '$(openssl rand -hex 24)', description: 'Bearer token for GET /metrics; unset: loopback clients only.', secret: true }),
  logLevel: configEntry({ env: 'LOG_LEVEL', schema: z.enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']), default: 'info', example: 'debug', description: 'pino log level.' }),
  workerRegistry: configEntry({ env: 'WORKER_REGISTRY', schema: z.enum(['memory', 'dynamodb']), default: 'memory', example: 'dynamodb', description: 'Where heartbeat workers are registered: memory (one gateway) or dynamodb (shared by several gateways).' }),
  workerAllowedHosts: configEntry({ env: 'WORKER_ALLOWED_HOSTS', schema: envList, default: '*.ngrok-free.app,*.ngrok-free.dev,*.ngrok.app,*.ngrok.dev,*.ngrok.io', example: '*.ngrok-free.app,worker.example.com', description: 'Host patterns a heartbeat URL may use (comma-separated; `*.` matches subdomains).' }),
  allowPrivateWorkerUrls: configEntry({ env: 'ALLOW_PRIVATE_WORKER_URLS', schema: envBoolean, default: false, example: 'true', description: 'Accept heartbeat URLs over http, on any host, IP literals, loopback and private addresses (one machine, compose).' }),
  allowPublicOllama: configEntry({ env: 'ALLOW_PUBLIC_OLLAMA', schema: envBoolean, default: false, example: 'true', description: 'Start even if Ollama answers on a non-loopback address.' }),
} as const;
