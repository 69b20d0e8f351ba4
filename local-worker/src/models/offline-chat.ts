import { AppError } from '@review-assistant/shared';
import type { ChatChunk, ChatMessage, ChatModel, ChatStreamOptions } from '../ports.js';
import { parseGroundedPrompt } from '../chat/grounded-prompt.js';
import type { QuotedReview } from '../chat/grounded-prompt.js';
import { terms } from '../text/tokenize.js';
import { reviewIdOf } from '../ingestion/review-records.js';

export const OFFLINE_CHAT_MODEL_ID = 'offline-extractive-v1';

/** Every offline answer ends with this line. */
export const OFFLINE_NOTICE =
  '_Answered offline: these are quotes picked from the reviews and a rating summary, made without a language model._';

export interface OfflineComposerOptions {
  /** Sentences quoted in an answer. @default 4 */
  maxQuotes?: number;
  /** Sentences quoted from one review. @default 2 */
  maxQuotesPerReview?: number;
}

interface ScoredSentence {
  reviewIndex: number;
  review: QuotedReview;
  sentence: string;
  score: number;
}

const segmenter = new Intl.Segmenter('en', { granularity: 'sentence' });
const MAX_SENTENCE_CHARS = 280;

/**
 * The offline backend's "chat model": an extractive answer composer. It reads the same grounded
 * prompt an LLM would get (reviews in `<review>` blocks, the question in `<question>`), quotes the
 * review sentences that share the most question terms (weighted by the squared IDF of the term
 * among the candidate sentences, with a small bonus for higher-ranked reviews; matches under half
 * the best score are dropped), cites each as [id],
 * summarises the ratings (average and count, per restaurant when there are several), and says
 * that no language model was used. Deterministic; streamed as several deltas.
 */
export class OfflineChatModel implements ChatModel {
  readonly provider = 'offline';
  readonly modelId = OFFLINE_CHAT_MODEL_ID;

  constructor(private readonly options: OfflineComposerOptions = {}) {}

  async *stream(messages: ChatMessage[], options: ChatStreamOptions = {}): AsyncIterable<ChatChunk> {
    const lastUser = [...messages].reverse().find((message) => message.role === 'user');
    const parsed = lastUser ? parseGroundedPrompt(lastUser.content) : null;
    const parts = parsed && parsed.reviews.length > 0 ? this.compose(parsed.question, parsed.reviews) : [noReviewsAnswer()];
    // A "token" of the offline model is a whitespace-separated word; `maxTokens` cuts the answer there.
    const budget = options.maxTokens ?? Number.POSITIVE_INFINITY;
    let completionTokens = 0;
    for (const part of parts) {
      if (options.signal?.aborted) throw new AppError('cancelled', 'offline answer cancelled by the caller');
      if (completionTokens >= budget) break;
      const words = part.split(/\s+/).filter(Boolean).length;
      const text = completionTokens + words <= budget ? part : firstWords(part, budget - completionTokens);
      completionTokens += Math.min(words, budget - completionTokens);
      yield { text };
      // yield to the event loop between deltas so a disconnect is noticed mid-answer
      await new Promise<void>((resolve) => setImmediate(resolve));
    }
    options.onUsage?.({ promptTokens: null, completionTokens });
  }

  /** The answer as the list of deltas it is streamed in. */
  compose(question: string, reviews: QuotedReview[]): string[] {
    const quotes = this.pickQuotes(question, reviews);
    const parts = ['From the reviews:\n'];
    for (const quote of quotes) parts.push(`- "${quote.sentence}" [${quote.review.id}]\n`);
    const ratings = summariseRatings(reviews);
    if (ratings) parts.push(`\n${ratings}\n`);
    parts.push(`\n${OFFLINE_NOTICE}`);
    return parts;
  }

  private pickQuotes(question: string, reviews: QuotedReview[]): ScoredSentence[] {
    const questionTerms = new Set(terms(question));
    const candidates = reviews.flatMap((review, reviewIndex) =>
      sentencesOf(review.text).map((sentence) => ({ review, reviewIndex, sentence, sentenceTerms: new Set(terms(sentence)) })),
    );
    const documentFrequency = new Map<string, number>();
    for (const candidate of candidates) {
      for (const term of candidate.sentenceTerms) documentFrequency.set(term, (documentFrequency.get(term) ?? 0) + 1);
    }
    const scored: ScoredSentence[] = candidates.map((candidate) => {
      let score = 0;
      for (const term of questionTerms) {
        // squared IDF: a rare question word ("crust") outweighs two common ones ("good pizza")
        if (candidate.sentenceTerms.has(term)) score += Math.log(1 + candidates.length / (documentFrequency.get(term) ?? 1)) ** 2;
      }
      // ties go to the higher-ranked review (retrieval already judged it more relevant)
      score += 0.05 / (1 + candidate.reviewIndex);
      return { review: candidate.review, reviewIndex: candidate.reviewIndex, sentence: candidate.sentence, score };
    });
    const maxQuotes = this.options.maxQuotes ?? 4;
    const perReview = this.options.maxQuotesPerReview ?? 2;
    const anyMatch = scored.some((item) => item.score >= 0.1);
    const ordered = anyMatch
      ? [...scored].sort((a, b) => b.score - a.score || a.reviewIndex - b.reviewIndex)
      : firstSentencePerReview(scored);
    const taken = new Map<string, number>();
    const picked: ScoredSentence[] = [];
    const floor = anyMatch ? Math.max(0.1, (ordered[0]?.score ?? 0) / 2) : 0;
    for (const item of ordered) {
      if (picked.length >= maxQuotes) break;
      // weak matches (under half the best one) would only dilute the answer
      if (anyMatch && item.score < floor && picked.length > 0) break;
      const count = taken.get(item.review.id) ?? 0;
      if (count >= perReview || picked.some((other) => other.sentence === item.sentence)) continue;
      taken.set(item.review.id, count + 1);
      picked.push(item);
    }
    return picked;
  }
}

function firstSentencePerReview(scored: ScoredSentence[]): ScoredSentence[] {
  const seen = new Set<string>();
  return scored.filter((item) => {
    if (seen.has(item.review.id)) return false;
    seen.add(item.review.id);
    return true;
  });
}

function sentencesOf(text: string): string[] {
  const sentences: string[] = [];
  for (const { segment } of segmenter.segment(text.replace(/\s+/g, ' '))) {
    const sentence = segment.trim();
    if (sentence.length < 3) continue;
    sentences.push(sentence.length > MAX_SENTENCE_CHARS ? `${sentence.slice(0, MAX_SENTENCE_CHARS).trimEnd()}…` : sentence);
  }
  return sentences;
}

/** "Ratings: 3.8 / 5 on average over 4 rated reviews (Paradise 4.5 over 2; Bawarchi 3.0 over 2)." */
export function summariseRatings(reviews: QuotedReview[]): string | null {
  // chunks of one long review share its rating: count each review once
  const byReview = new Map<string, { rating: number; restaurant: string | undefined }>();
  for (const review of reviews) {
    const rating = Number(review.attributes['rating']);
    if (review.attributes['rating'] === undefined || !Number.isFinite(rating)) continue;
    byReview.set(reviewIdOf(review.id), { rating, restaurant: review.attributes['restaurant'] });
  }
  const rated = [...byReview.values()];
  if (rated.length === 0) return null;
  const average = (values: number[]) => values.reduce((sum, value) => sum + value, 0) / values.length;
  let line = `Ratings: ${average(rated.map((item) => item.rating)).toFixed(1)} / 5 on average over ${rated.length} rated review${rated.length === 1 ? '' : 's'}`;
  const restaurants = new Map<string, number[]>();
  for (const item of rated) {
    if (!item.restaurant) continue;
    restaurants.set(item.restaurant, [...(restaurants.get(item.restaurant) ?? []), item.rating]);
  }
  if (restaurants.size > 1 || (restaurants.size === 1 && rated.length > 1)) {
    const perRestaurant = [...restaurants.entries()]
      .sort((a, b) => b[1].length - a[1].length || a[0].localeCompare(b[0]))
      .map(([name, values]) => `${name} ${average(values).toFixed(1)} over ${values.length}`);
    line += ` (${perRestaurant.join('; ')})`;
  }
  return `${line}.`;
}

function noReviewsAnswer(): string {
  return `I have no reviews to quote for this request, and no language model is running to write free text.\n\n${OFFLINE_NOTICE}`;
}

/** The first `count` words of `text`, keeping the spacing between them. */
function firstWords(text: string, count: number): string {
  const match = text.match(new RegExp(`^\\s*(?:\\S+\\s*){0,${count}}`));
  return (match?.[0] ?? '').trimEnd();
}
