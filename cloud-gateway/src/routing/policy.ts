import type { Route } from '@review-assistant/shared';
import type { IntentPrediction } from '../intent/classifier.js';

/** The routing decision for one chat message. */
export interface RouteDecision {
  route: Route;
  /** The gateway's own answer for `smalltalk` and `decline` routes. */
  reply?: string;
}

export interface RoutingPolicy {
  decide(prediction: IntentPrediction, message: string): RouteDecision;
}
