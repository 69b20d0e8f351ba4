import type { IntentClassifier, IntentPrediction, IntentService } from '@review-assistant/cloud-gateway/intent/classifier';
import type { RouteDecision, RoutingPolicy } from '@review-assistant/cloud-gateway/routing/policy';

/**
 * A deterministic stand-in for the CLINC150 model in browser tests: greetings are small talk,
 * everything else a dining question. The UI tests are about rendering what the gateway streams,
 * so the intent only has to be predictable, not learned.
 */
class KeywordIntentClassifier implements IntentClassifier {
  readonly info = { version: 'keyword-test', createdAt: '2026-01-01T00:00:00Z', algorithm: 'keyword', labels: 2, valMetrics: {} };

  predict(text: string): IntentPrediction {
    const greeting = /^\s*(hi|hello|hey)\b/i.test(text);
    const intent = greeting ? { name: 'greeting', confidence: 0.97 } : { name: 'restaurant_reviews', confidence: 0.88 };
    return {
      intent,
      domain: greeting ? 'small_talk' : 'kitchen_and_dining',
      outOfScope: false,
      ranking: [intent],
    };
  }
}

export function keywordIntentService(): IntentService {
  const classifier = new KeywordIntentClassifier();
  return {
    status: () => ({ ready: true, version: classifier.info.version, message: null }),
    current: () => classifier,
  };
}

/** Small talk answered by the gateway, everything else to a worker. */
export const SMALL_TALK_REPLY = 'Hello! Ask me about restaurant reviews.';

export const greetingPolicy: RoutingPolicy = {
  decide(prediction: IntentPrediction): RouteDecision {
    return prediction.intent.name === 'greeting' ? { route: 'smalltalk', reply: SMALL_TALK_REPLY } : { route: 'worker' };
  },
};
