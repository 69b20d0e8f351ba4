import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { ArtifactIntentClassifier, decodeArtifact, defaultArtifactPath } from '@review-assistant/cloud-gateway/intent';
import { IntentRoutingPolicy } from '@review-assistant/cloud-gateway';
import { DiningUtterancesSchema } from './clinc-data.js';
import { readRoutingCases, routeCases } from './routing-cases.js';
import { defaultDataDirectory } from './training-pipeline.js';

describe('IntentRoutingPolicy with the shipped model', () => {
  const classifier = new ArtifactIntentClassifier(decodeArtifact(readFileSync(defaultArtifactPath)));
  const policy = new IntentRoutingPolicy();
  const route = (text: string) => policy.decide(classifier.predict(text), text);

  it('routes at least 95% of the held-out review questions to a worker', () => {
    const dining = DiningUtterancesSchema.parse(JSON.parse(readFileSync(join(defaultDataDirectory, 'dining-utterances.json'), 'utf8')));
    expect(dining.heldOut.length).toBeGreaterThanOrEqual(40);
    const routes = dining.heldOut.map(([text]) => route(text).route);
    const share = routes.filter((value) => value === 'worker').length / routes.length;
    expect(share).toBeGreaterThanOrEqual(0.95);
  });

  it('answers greetings and thanks in the gateway', () => {
    for (const text of ['hello there', 'hi, good morning', 'thank you so much', 'thanks for your help']) {
      expect(route(text), text).toMatchObject({ route: 'smalltalk' });
    }
  });

  it('declines banking and travel requests politely', () => {
    for (const text of ['what is the balance of my checking account', 'transfer 200 dollars from savings to checking', 'book me a flight to boston', 'i need a hotel in rome for three nights']) {
      const decision = route(text);
      expect(decision.route, text).toBe('decline');
      expect(decision.reply).toMatch(/Sorry, I can't help with/);
    }
  });

  it('routes every case of the project routing set (conversations, small talk, identity, declines) as written', async () => {
    const cases = await readRoutingCases();
    const wrong = routeCases(classifier, policy, cases)
      .filter((item) => item.route !== item.case.route)
      .map((item) => `${item.case.history ? '[in a conversation] ' : ''}${item.case.message} → ${item.route} (${item.intent} ${item.confidence.toFixed(2)}), expected ${item.case.route}`);
    expect(wrong).toEqual([]);
  });
});
