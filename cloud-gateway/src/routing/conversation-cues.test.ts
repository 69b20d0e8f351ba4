import { describe, expect, it } from 'vitest';
import { hasReferringWord, hasRestaurantCue, isReviewConversation } from './conversation-cues.js';

describe('conversation cues', () => {
  it('finds restaurant words as whole words only', () => {
    expect(hasRestaurantCue('Is the pasta there any good?')).toBe(true);
    expect(hasRestaurantCue('What did REVIEWERS say?')).toBe(true);
    expect(hasRestaurantCue('what is my balance')).toBe(false);
    // whole words only: "barstool" is not "bar"
    expect(hasRestaurantCue('barstool prices')).toBe(false);
  });

  it('finds words that point back at something said before', () => {
    expect(hasReferringWord('What time does it close?')).toBe(true);
    expect(hasReferringWord('Do they take cards?')).toBe(true);
    expect(hasReferringWord('set a timer for five minutes')).toBe(false);
  });

  it('calls a conversation about reviews when a recent turn on either side has a restaurant cue', () => {
    expect(isReviewConversation(undefined)).toBe(false);
    expect(isReviewConversation([])).toBe(false);
    expect(isReviewConversation([{ role: 'assistant', content: 'Diners love the brunch.' }])).toBe(true);
    expect(isReviewConversation([{ role: 'user', content: 'transfer money' }])).toBe(false);
  });
});
