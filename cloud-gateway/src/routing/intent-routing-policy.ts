import type { ChatTurn } from '@review-assistant/shared';
import type { IntentPrediction } from '../intent/classifier.js';
import { hasReferringWord, hasRestaurantCue, isReviewConversation } from './conversation-cues.js';
import type { RouteDecision, RoutingPolicy } from './policy.js';

const CAPABILITIES =
  'I can answer questions about restaurant reviews: what diners say about the food, service, prices or ambience of a place, summaries of its reviews, and comparisons between restaurants.';

const IDENTITY_REPLY = `I'm the review assistant: an automated helper that reads restaurant reviews for you. ${CAPABILITIES}`;

/**
 * Small-talk intents the gateway answers itself, with the reply it gives. Picked from CLINC150's
 * `small_talk` and `meta` domains: those with a sensible canned answer (greetings, questions
 * about the assistant, a joke). The rest (yes/no/maybe, repeat, cancel, what_song...) depend on
 * the conversation, so they go to a worker.
 */
export const defaultSmallTalkReplies: Readonly<Record<string, string>> = {
  greeting: `Hello! ${CAPABILITIES} What would you like to know?`,
  goodbye: 'Goodbye, and enjoy your next meal! Come back any time you want to know what reviewers think of a restaurant.',
  thank_you: "You're welcome! Ask me anything else about restaurant reviews whenever you like.",
  what_is_your_name: `I'm the review assistant. ${CAPABILITIES}`,
  who_made_you: `I was built as a restaurant-review assistant that runs on a small cloud gateway and a private GPU worker. ${CAPABILITIES}`,
  are_you_a_bot: `Yes, I'm an automated assistant. ${CAPABILITIES}`,
  how_old_are_you: `I'm a fairly new assistant. ${CAPABILITIES}`,
  where_are_you_from: `I live in the cloud and read reviews on a private machine. ${CAPABILITIES}`,
  who_do_you_work_for: `I work for anyone who wants to know what diners think. ${CAPABILITIES}`,
  do_you_have_pets: `No pets, only a lot of restaurant reviews. ${CAPABILITIES}`,
  what_can_i_ask_you: CAPABILITIES,
  what_are_your_hobbies: `Reading restaurant reviews, mostly. ${CAPABILITIES}`,
  meaning_of_life: `For me it is helping you find a good meal. ${CAPABILITIES}`,
  tell_joke: `Why did the diner give the soup one star? It was too mis-steak-ly salty... I'm better at reviews than at jokes. ${CAPABILITIES}`,
  fun_fact: `Here is one from my line of work: diners mention service in reviews about as often as the food itself. ${CAPABILITIES}`,
};

/**
 * Intents that all ask who or what the assistant is. Their probabilities are added up, so "who
 * are you?" (split between who_made_you and who_do_you_work_for) is answered as one question.
 */
const IDENTITY_INTENTS: ReadonlySet<string> = new Set(['what_is_your_name', 'who_made_you', 'are_you_a_bot', 'who_do_you_work_for', 'where_are_you_from', 'how_old_are_you', 'what_can_i_ask_you']);

/**
 * CLINC150 domains the assistant does not serve. `kitchen_and_dining` is deliberately absent:
 * reviews, suggestions, reservations and "how busy" questions all go to a worker.
 */
export const defaultDeclinedDomains: readonly string[] = ['banking', 'credit_cards', 'travel', 'auto_and_commute', 'home', 'utility', 'work'];

export interface IntentRoutingPolicyOptions {
  /** Minimum confidence to answer small talk in the gateway. @default 0.6 */
  smallTalkConfidence?: number;
  /** Minimum confidence to decline an off-topic request. @default 0.8 */
  declineConfidence?: number;
  smallTalkReplies?: Readonly<Record<string, string>>;
  declinedDomains?: readonly string[];
}

/**
 * Decides where a chat message goes: the gateway answers confident small talk (`smalltalk`),
 * politely declines confident off-topic requests (`decline`), and sends everything else to a
 * worker (`worker`): dining intents, out-of-scope and anything the model is unsure about. The
 * thresholds lean towards the worker because a wrong decline costs more than a worker call.
 */
export class IntentRoutingPolicy implements RoutingPolicy {
  private readonly smallTalkConfidence: number;
  private readonly declineConfidence: number;
  private readonly replies: Readonly<Record<string, string>>;
  private readonly declined: ReadonlySet<string>;

  constructor(options: IntentRoutingPolicyOptions = {}) {
    this.smallTalkConfidence = options.smallTalkConfidence ?? 0.6;
    this.declineConfidence = options.declineConfidence ?? 0.8;
    this.replies = options.smallTalkReplies ?? defaultSmallTalkReplies;
    this.declined = new Set(options.declinedDomains ?? defaultDeclinedDomains);
    for (const [name, value] of [['smallTalkConfidence', this.smallTalkConfidence], ['declineConfidence', this.declineConfidence]] as const) {
      if (!(value >= 0 && value <= 1)) throw new RangeError(`${name} must be between 0 and 1, got ${value}`);
    }
  }

  decide(prediction: IntentPrediction, message: string, history?: readonly ChatTurn[]): RouteDecision {
    const identity = this.identityConfidence(prediction);
    if (identity >= this.smallTalkConfidence) return { route: 'smalltalk', reply: this.replies[prediction.intent.name] ?? IDENTITY_REPLY };
    if (prediction.outOfScope) return { route: 'worker' };
    const { name, confidence } = prediction.intent;
    const reply = this.replies[name];
    if (reply !== undefined && confidence >= this.smallTalkConfidence) return { route: 'smalltalk', reply };
    if (this.declined.has(prediction.domain) && confidence >= this.declineConfidence && !this.aboutRestaurants(message, history)) {
      return { route: 'decline', reply: declineReply(prediction.domain) };
    }
    return { route: 'worker' };
  }

  /** Summed probability of the identity intents when one of them is the top prediction, else 0. */
  private identityConfidence(prediction: IntentPrediction): number {
    const top = prediction.ranking[0];
    if (top === undefined || !IDENTITY_INTENTS.has(top.name)) return 0;
    return prediction.ranking.reduce((sum, entry) => (IDENTITY_INTENTS.has(entry.name) ? sum + entry.confidence : sum), 0);
  }

  /**
   * A message is never declined when it names a restaurant cue itself, or when it points back
   * ("it", "they", "there"...) inside a conversation about restaurants: "what time does it close?"
   * after a question about a restaurant asks about that restaurant, not the clock.
   */
  private aboutRestaurants(message: string, history: readonly ChatTurn[] | undefined): boolean {
    if (hasRestaurantCue(message)) return true;
    return hasReferringWord(message) && isReviewConversation(history);
  }
}

const domainTopics: Readonly<Record<string, string>> = {
  banking: 'banking',
  credit_cards: 'credit cards',
  travel: 'travel',
  auto_and_commute: 'cars and commuting',
  home: 'home tasks, music and shopping lists',
  utility: 'timers, weather and similar utilities',
  work: 'work and HR questions',
};

function declineReply(domain: string): string {
  const topic = domainTopics[domain] ?? 'that topic';
  return `Sorry, I can't help with ${topic}. ${CAPABILITIES} Is there a restaurant you'd like to know about?`;
}
