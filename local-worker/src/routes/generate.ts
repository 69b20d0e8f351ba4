import { Hono } from 'hono';
import { GenerateRequestSchema, GenerateResponseSchema } from '@review-assistant/shared';
import type { ConcurrencyGate } from '../chat/concurrency-gate.js';
import type { ChatMessage, ChatModel, ChatUsage } from '../ports.js';
import { readJsonBody } from './http-support.js';
import type { WorkerEnv } from './http-support.js';

/**
 * `POST /generate`: plain text generation with the worker's chat model (no retrieval), answered
 * as one JSON object. It takes a slot of the same concurrency gate as chat, since it occupies the
 * same model. With the offline backend the answer says that no language model is running.
 */
export function createGenerateRoutes(options: { chatModel: ChatModel; gate: ConcurrencyGate; backend: string }): Hono<WorkerEnv> {
  const app = new Hono<WorkerEnv>();
  app.post('/generate', async (c) => {
    const request = await readJsonBody(c, GenerateRequestSchema);
    const signal = c.req.raw.signal;
    const release = await options.gate.acquire(signal);
    try {
      const messages: ChatMessage[] = [
        ...(request.system === undefined ? [] : [{ role: 'system' as const, content: request.system }]),
        { role: 'user', content: request.prompt },
      ];
      let usage: ChatUsage = {};
      let text = '';
      for await (const chunk of options.chatModel.stream(messages, {
        signal,
        onUsage: (value) => (usage = value),
        ...(request.maxTokens === undefined ? {} : { maxTokens: request.maxTokens }),
        ...(request.temperature === undefined ? {} : { temperature: request.temperature }),
      })) {
        text += chunk.text;
      }
      return c.json(
        GenerateResponseSchema.parse({
          model: options.chatModel.modelId,
          backend: options.backend,
          text,
          usage: { promptTokens: usage.promptTokens ?? null, completionTokens: usage.completionTokens ?? null },
        }),
      );
    } finally {
      release();
    }
  });
  return app;
}
