import type { ChatTurn, Route } from '@review-assistant/shared';
import type { IntentPrediction } from '../intent/classifier.js';

/** The routing decision for one chat message. */
export interface RouteDecision {
  route: Route;
  /** The gateway's own answer for `smalltalk` and `decline` routes. */
  reply?: string;
}

export interface RoutingPolicy {
  /**
   * Where `message` goes, given its predicted intent and the conversation before it (`history`,
   * oldest first, as the client sent it): the same words mean different things in a
   * conversation about a restaurant ("what time does it close?").
   */
  decide(prediction: IntentPrediction, message: string, history?: readonly ChatTurn[]): RouteDecision;
}
