import { describe, expect, it } from 'vitest';
import type { ChatTurn } from '@review-assistant/shared';
import type { IntentPrediction } from '../intent/classifier.js';
import { IntentRoutingPolicy } from './intent-routing-policy.js';

function prediction(name: string, domain: string, confidence: number, outOfScope = false): IntentPrediction {
  return { intent: { name, confidence }, domain, outOfScope, ranking: [{ name, confidence }] };
}

describe('IntentRoutingPolicy (rules)', () => {
  const policy = new IntentRoutingPolicy();

  it('answers confident small talk in the gateway with a reply that says what it can do', () => {
    const decision = policy.decide(prediction('greeting', 'small_talk', 0.95), 'hello');
    expect(decision.route).toBe('smalltalk');
    expect(decision.reply).toMatch(/restaurant reviews/);
  });

  it('sends unsure small talk to a worker', () => {
    expect(policy.decide(prediction('greeting', 'small_talk', 0.4), 'hm hello?').route).toBe('worker');
  });

  it('answers jokes, hobbies and other canned small talk in the gateway', () => {
    expect(policy.decide(prediction('tell_joke', 'small_talk', 0.99), 'tell me a joke')).toMatchObject({ route: 'smalltalk', reply: expect.stringMatching(/restaurant reviews/) });
    expect(policy.decide(prediction('what_are_your_hobbies', 'small_talk', 0.9), 'what are your hobbies').route).toBe('smalltalk');
  });

  it('sends small talk whose meaning depends on the conversation (yes, no, repeat) to a worker', () => {
    expect(policy.decide(prediction('yes', 'small_talk', 0.99), 'yes').route).toBe('worker');
    expect(policy.decide(prediction('repeat', 'meta', 0.95), 'say that again').route).toBe('worker');
  });

  it('answers identity questions whose probability is split between identity intents', () => {
    const split: IntentPrediction = {
      intent: { name: 'who_made_you', confidence: 0.57 },
      domain: 'small_talk',
      outOfScope: false,
      ranking: [
        { name: 'who_made_you', confidence: 0.57 },
        { name: 'who_do_you_work_for', confidence: 0.35 },
        { name: 'what_is_your_name', confidence: 0.04 },
      ],
    };
    expect(policy.decide(split, 'Who are you?')).toMatchObject({ route: 'smalltalk', reply: expect.stringMatching(/review assistant/) });
    const weak = { ...split, ranking: [split.ranking[0]!, { name: 'timer', confidence: 0.3 }] };
    expect(policy.decide(weak, 'who set that?').route).toBe('worker');
  });

  it('declines confident off-topic domains with a friendly scoped reply', () => {
    const decision = policy.decide(prediction('balance', 'banking', 0.97), 'what is my balance');
    expect(decision.route).toBe('decline');
    expect(decision.reply).toMatch(/can't help with banking/);
    expect(decision.reply).toMatch(/restaurant reviews/);
    expect(policy.decide(prediction('book_flight', 'travel', 0.9), 'book a flight').route).toBe('decline');
  });

  it('sends low-confidence off-topic guesses to a worker', () => {
    expect(policy.decide(prediction('balance', 'banking', 0.5), 'balance of flavours in the curry?').route).toBe('worker');
  });

  it('always sends dining intents and out-of-scope texts to a worker', () => {
    expect(policy.decide(prediction('restaurant_reviews', 'kitchen_and_dining', 0.99), 'reviews?').route).toBe('worker');
    expect(policy.decide(prediction('restaurant_suggestion', 'kitchen_and_dining', 0.99), 'where to eat').route).toBe('worker');
    expect(policy.decide(prediction('oos', 'oos', 0.9, true), 'how tall is everest').route).toBe('worker');
  });

  it('uses configured thresholds and refuses invalid ones', () => {
    const strict = new IntentRoutingPolicy({ smallTalkConfidence: 0.99, declineConfidence: 0.99 });
    expect(strict.decide(prediction('greeting', 'small_talk', 0.95), 'hello').route).toBe('worker');
    expect(strict.decide(prediction('balance', 'banking', 0.95), 'balance').route).toBe('worker');
    expect(() => new IntentRoutingPolicy({ declineConfidence: 1.5 })).toThrow(/declineConfidence must be between 0 and 1/);
  });
});

describe('IntentRoutingPolicy in a conversation', () => {
  const policy = new IntentRoutingPolicy();
  const reviewConversation: ChatTurn[] = [
    { role: 'user', content: 'What do reviewers say about Trattoria Roma?' },
    { role: 'assistant', content: 'Most reviews praise the pasta and the friendly staff.' },
  ];
  const bankingConversation: ChatTurn[] = [
    { role: 'user', content: 'what is my balance' },
    { role: 'assistant', content: "Sorry, I can't help with banking." },
  ];
  const closing = prediction('time', 'utility', 0.93);

  it('declines "what time does it close?" on its own, but not inside a review conversation', () => {
    expect(policy.decide(closing, 'What time does it close?').route).toBe('decline');
    expect(policy.decide(closing, 'What time does it close?', []).route).toBe('decline');
    expect(policy.decide(closing, 'What time does it close?', reviewConversation).route).toBe('worker');
  });

  it('still declines a pronoun question after an off-topic conversation', () => {
    expect(policy.decide(closing, 'What time does it close?', bankingConversation).route).toBe('decline');
  });

  it('looks only at the recent turns of a long conversation', () => {
    const long: ChatTurn[] = [...reviewConversation, ...Array.from({ length: 8 }, (_, index): ChatTurn => ({ role: index % 2 === 0 ? 'user' : 'assistant', content: 'set a timer please' }))];
    expect(policy.decide(closing, 'is it done?', long).route).toBe('decline');
  });

  it('never declines a message that names a restaurant cue, with or without a conversation', () => {
    expect(policy.decide(prediction('pay_bill', 'banking', 0.95), 'can I pay the bill at the restaurant by card?').route).toBe('worker');
    expect(policy.decide(prediction('distance', 'auto_and_commute', 0.99), 'how far is the restaurant from the airport?', bankingConversation).route).toBe('worker');
  });

  it('keeps declining plain off-topic requests inside a review conversation', () => {
    expect(policy.decide(prediction('transfer', 'banking', 0.97), 'transfer 200 dollars to savings', reviewConversation).route).toBe('decline');
  });
});
