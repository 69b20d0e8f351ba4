import { describe, expect, it } from 'vitest';
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

  it('sends small talk that needs a real answer (jokes, meaning of life) to a worker', () => {
    expect(policy.decide(prediction('tell_joke', 'small_talk', 0.99), 'tell me a joke').route).toBe('worker');
    expect(policy.decide(prediction('meaning_of_life', 'small_talk', 0.99), 'what is the meaning of life').route).toBe('worker');
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
