import { describe, expect, it } from 'vitest';
import { AppError } from '@review-assistant/shared';
import { ScriptedChatModel } from '../testing/recording-ports.js';
import { HeuristicQueryRewriter, LlmQueryRewriter, namesIn, rewriteHeuristically } from './query-rewriter.js';

const history = [
  { role: 'user' as const, content: 'How is the biryani at Paradise Biryani?' },
  { role: 'assistant' as const, content: 'Most reviews praise it [r1].' },
];

describe('HeuristicQueryRewriter', () => {
  it('leaves a first question alone', async () => {
    await expect(new HeuristicQueryRewriter().rewrite('Is the naan good at Tandoor House?', [])).resolves.toBe(
      'Is the naan good at Tandoor House?',
    );
  });

  it('carries the restaurant name into a follow-up that refers back to it', () => {
    expect(rewriteHeuristically('What about the service there?', history)).toBe('What about the service there? (Paradise Biryani)');
  });

  it('carries the name and the topic into a follow-up with no topic of its own', () => {
    const dishHistory = [{ role: 'user' as const, content: 'How is the mutton biryani at Paradise?' }];
    expect(rewriteHeuristically('And is it good?', dishHistory)).toBe('And is it good? (Paradise, mutton, biryani)');
    // a word already inside the carried name is not repeated as a topic
    expect(rewriteHeuristically('Is it expensive?', history)).toBe('Is it expensive? (Paradise Biryani)');
  });

  it('does not drag the previous topic into a follow-up that has its own', () => {
    expect(rewriteHeuristically('What about the prices there?', [{ role: 'user', content: 'Is the pizza crust good?' }])).toBe(
      'What about the prices there?',
    );
  });

  it('keeps a self-contained follow-up unchanged', () => {
    expect(rewriteHeuristically('Which places serve vegan thali with good ambience?', history)).toBe(
      'Which places serve vegan thali with good ambience?',
    );
  });

  it('uses the most recent user turn that named something', () => {
    const longer = [...history, { role: 'user' as const, content: 'And at "Cafe Niloufer"?' }, { role: 'assistant' as const, content: 'x' }];
    expect(rewriteHeuristically('Is it crowded?', longer)).toBe('Is it crowded? (Cafe Niloufer)');
  });

  it('finds names in capitalised runs and quotes, not in question words', () => {
    expect(namesIn('How is the biryani at Paradise Biryani?')).toEqual(['Paradise Biryani']);
    expect(namesIn('Is "mehfil" open late?')).toEqual(['mehfil']);
    expect(namesIn('What do people say?')).toEqual([]);
  });
});

describe('LlmQueryRewriter', () => {
  it('does not call the model without history', async () => {
    const model = new ScriptedChatModel({ tokens: ['unused'] });
    await expect(new LlmQueryRewriter(model).rewrite('Best kebabs?', [])).resolves.toBe('Best kebabs?');
    expect(model.calls).toHaveLength(0);
  });

  it('asks the model for a standalone query with the conversation, at temperature 0', async () => {
    const model = new ScriptedChatModel({ tokens: ['"Service ', 'at Paradise Biryani"\nextra line'] });
    const query = await new LlmQueryRewriter(model).rewrite('What about the service there?', history);
    expect(query).toBe('Service at Paradise Biryani');
    const [call] = model.calls;
    expect(call?.options.temperature).toBe(0);
    expect(call?.messages[1]?.content).toContain('User: How is the biryani at Paradise Biryani?');
    expect(call?.messages[1]?.content).toContain('Last user message: What about the service there?');
  });

  it('falls back to the heuristic when the model fails', async () => {
    const model = new ScriptedChatModel({ tokens: [], failWith: new AppError('model_error', 'boom') });
    await expect(new LlmQueryRewriter(model).rewrite('What about the service there?', history)).resolves.toBe(
      'What about the service there? (Paradise Biryani)',
    );
  });

  it('falls back to the heuristic when the model takes too long', async () => {
    const model = new ScriptedChatModel({ hang: true });
    await expect(new LlmQueryRewriter(model, { timeoutMs: 50 }).rewrite('What about the service there?', history)).resolves.toBe(
      'What about the service there? (Paradise Biryani)',
    );
    expect(model.cancellations).toBe(1);
  });

  it('passes cancellation on instead of falling back', async () => {
    const model = new ScriptedChatModel({ hang: true });
    const controller = new AbortController();
    const pending = new LlmQueryRewriter(model).rewrite('And there?', history, controller.signal);
    controller.abort();
    await expect(pending).rejects.toMatchObject({ code: 'cancelled' });
  });
});
