import { RunnableLambda, RunnableSequence } from '@langchain/core/runnables';
import { describe, expect, it } from 'vitest';
import { RecordingRetriever, review } from '../testing/recording-ports.js';
import { LangChainReviewRetriever } from './langchain-retriever.js';

describe('LangChainReviewRetriever', () => {
  const reviews = [
    review('sample.csv:3#c0', 'Smoky kebabs, friendly staff.', { restaurant: 'Kebab Yard', rating: 4, row: 3 }, 0.82),
    review('sample.csv:7#c1', 'The naan was cold.', { restaurant: 'Spice Route', rating: 2, row: 7 }, 0.41),
  ];

  it('returns the hybrid retriever\'s reviews as LangChain documents, with k and filters passed through', async () => {
    const recording = new RecordingRetriever(reviews);
    const retriever = new LangChainReviewRetriever({ retriever: recording, options: { k: 2, filters: { minRating: 2 } } });
    const documents = await retriever.invoke('kebabs');
    expect(documents.map((document) => [document.id, document.pageContent, document.metadata])).toEqual([
      ['sample.csv:3#c0', 'Smoky kebabs, friendly staff.', { source: 'sample.csv', row: 3, restaurant: 'Kebab Yard', rating: 4, id: 'sample.csv:3#c0', score: 0.82 }],
      ['sample.csv:7#c1', 'The naan was cold.', { source: 'sample.csv', row: 7, restaurant: 'Spice Route', rating: 2, id: 'sample.csv:7#c1', score: 0.41 }],
    ]);
    expect(recording.calls).toEqual([{ query: 'kebabs', options: { k: 2, filters: { minRating: 2 } } }]);
  });

  it('composes in a LangChain chain like any retriever', async () => {
    const retriever = new LangChainReviewRetriever({ retriever: new RecordingRetriever(reviews) });
    const chain = RunnableSequence.from([
      RunnableLambda.from((question: string) => question.trim()),
      retriever,
      RunnableLambda.from((documents: { metadata: { restaurant?: string } }[]) => documents.map((document) => document.metadata.restaurant).join(', ')),
    ]);
    await expect(chain.invoke('  where are the kebabs good?  ')).resolves.toBe('Kebab Yard, Spice Route');
  });
});
