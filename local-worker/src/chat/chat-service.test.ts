import { describe, expect, it } from 'vitest';
import { AppError, StreamEventSchema } from '@review-assistant/shared';
import type { StreamEvent } from '@review-assistant/shared';
import { RecordingRetriever, ScriptedChatModel, review } from '../testing/recording-ports.js';
import { OfflineChatModel, OFFLINE_NOTICE } from '../models/offline-chat.js';
import { ChatService, NOTHING_FOUND_ANSWER, toErrorEvent } from './chat-service.js';
import { HeuristicQueryRewriter } from './query-rewriter.js';

async function run(service: ChatService, message: string, extra: Record<string, unknown> = {}, signal?: AbortSignal) {
  const events: StreamEvent[] = [];
  for await (const event of service.run({ message, ...extra }, signal)) events.push(StreamEventSchema.parse(event));
  return events;
}

describe('ChatService', () => {
  const sources = [review('r1', 'The naan was fluffy and hot.', { restaurant: 'Tandoor House', rating: 5 })];

  it('streams sources, then answer deltas, then answer-end with usage and timings', async () => {
    const retriever = new RecordingRetriever(sources);
    const model = new ScriptedChatModel({ tokens: ['Fluffy ', 'naan ', '[r1].'] });
    const service = new ChatService({ retriever, chatModel: model, queryRewriter: new HeuristicQueryRewriter(), backend: 'ollama' });
    const events = await run(service, 'How is the naan?', { k: 3, filters: { minRating: 4 } });
    expect(events.map((event) => event.type)).toEqual(['sources', 'answer-delta', 'answer-delta', 'answer-delta', 'answer-end']);
    expect(events[0]).toEqual({ type: 'sources', items: sources });
    expect(retriever.calls[0]).toMatchObject({ query: 'How is the naan?', options: { k: 3, filters: { minRating: 4 } } });
    const end = events.at(-1);
    expect(end).toMatchObject({ type: 'answer-end', usage: { promptTokens: 11, completionTokens: 3 }, backend: 'ollama', model: 'scripted-v1' });
    const prompt = model.calls[0]?.messages.at(-1)?.content ?? '';
    expect(prompt).toContain('<review id="r1" restaurant="Tandoor House" rating="5">');
  });

  it('answers "not covered" without calling the model when nothing is retrieved', async () => {
    const model = new ScriptedChatModel();
    const service = new ChatService({ retriever: new RecordingRetriever([]), chatModel: model, queryRewriter: new HeuristicQueryRewriter(), backend: 'offline' });
    const events = await run(service, 'Who won the 1998 world cup?');
    expect(events).toMatchObject([
      { type: 'sources', items: [] },
      { type: 'answer-delta', text: NOTHING_FOUND_ANSWER },
      { type: 'answer-end', usage: { promptTokens: 0, completionTokens: 0 } },
    ]);
    expect(model.calls).toHaveLength(0);
  });

  it('retrieves with the rewritten standalone query of a follow-up', async () => {
    const retriever = new RecordingRetriever(sources);
    const service = new ChatService({ retriever, chatModel: new ScriptedChatModel(), queryRewriter: new HeuristicQueryRewriter(), backend: 'offline' });
    await run(service, 'Is it busy at night?', { history: [{ role: 'user', content: 'How is the food at Tandoor House?' }] });
    expect(retriever.calls[0]?.query).toBe('Is it busy at night? (Tandoor House)');
  });

  it('passes the abort signal to the model so a disconnect cancels generation', async () => {
    const model = new ScriptedChatModel({ hang: true });
    const service = new ChatService({ retriever: new RecordingRetriever(sources), chatModel: model, queryRewriter: new HeuristicQueryRewriter(), backend: 'ollama' });
    const controller = new AbortController();
    const iterator = service.run({ message: 'naan?' }, controller.signal);
    await iterator.next(); // sources
    const pending = iterator.next();
    controller.abort();
    await expect(pending).rejects.toMatchObject({ code: 'cancelled' });
    expect(model.cancellations).toBe(1);
  });

  it('produces an offline answer that quotes, cites and says no language model was used', async () => {
    const service = new ChatService({
      retriever: new RecordingRetriever(sources),
      chatModel: new OfflineChatModel(),
      queryRewriter: new HeuristicQueryRewriter(),
      backend: 'offline',
    });
    const events = await run(service, 'How is the naan?');
    const text = events.flatMap((event) => (event.type === 'answer-delta' ? [event.text] : [])).join('');
    expect(text).toContain('"The naan was fluffy and hot." [r1]');
    expect(text).toContain(OFFLINE_NOTICE);
    expect(events.filter((event) => event.type === 'answer-delta').length).toBeGreaterThan(2);
  });
});

describe('toErrorEvent', () => {
  it('keeps the code and retryability of typed errors and hides untyped ones', () => {
    expect(toErrorEvent(new AppError('worker_timeout', 'slow'))).toEqual({ type: 'error', code: 'worker_timeout', message: 'slow', retryable: true });
    expect(toErrorEvent(new Error('secret internals'))).toEqual({
      type: 'error',
      code: 'internal',
      message: 'the worker failed while answering; see its log',
      retryable: true,
    });
  });
});
