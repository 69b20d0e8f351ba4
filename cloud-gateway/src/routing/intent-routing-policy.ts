import type { IntentPrediction } from '../intent/classifier.js';
import type { RouteDecision, RoutingPolicy } from './policy.js';

const CAPABILITIES =
  'I can answer questions about restaurant reviews: what diners say about the food, service, prices or ambience of a place, summaries of its reviews, and comparisons between restaurants.';

/**
 * Small-talk intents the gateway answers itself, with the reply it gives. Picked from CLINC150's
 * `small_talk` and `meta` domains: only those with a sensible canned answer. The rest
 * (meaning_of_life, fun_fact, tell_joke, what_are_your_hobbies, yes/no/maybe, repeat, cancel...)
 * depend on context or deserve a real answer, so they go to a worker.
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
};

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

  decide(prediction: IntentPrediction, _message: string): RouteDecision {
    if (prediction.outOfScope) return { route: 'worker' };
    const { name, confidence } = prediction.intent;
    const reply = this.replies[name];
    if (reply !== undefined && confidence >= this.smallTalkConfidence) return { route: 'smalltalk', reply };
    if (this.declined.has(prediction.domain) && confidence >= this.declineConfidence) {
      return { route: 'decline', reply: declineReply(prediction.domain) };
    }
    return { route: 'worker' };
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
