/**
 * Cheap lexical cues the routing policy reads from the conversation: does a text talk about a
 * restaurant, does it point back at something said before, and is the conversation about reviews.
 * Regular expressions over a few turns: microseconds, and only evaluated when a message would
 * otherwise be declined.
 */
import type { ChatTurn } from '@review-assistant/shared';

/** Words that only make sense about a restaurant, a meal or its reviews. */
const RESTAURANT_CUE =
  /\b(restaurants?|caf[eé]s?|bistros?|diners?|eatery|eateries|pizzerias?|steakhouses?|brasseries?|taverns?|pubs?|bars?|menus?|dish(es)?|food|foods|meals?|dinner|lunch|breakfast|brunch|chefs?|cooks?|kitchens?|waiters?|waitress(es)?|waitstaff|staff|service|reservations?|tables?|reviews?|reviewers?|reviewed|ratings?|rated|stars?|cuisine|tast(e|es|y|ed)|delicious|portions?|desserts?|drinks?|cocktails?|wines?|beers?|coffee|pizza|pasta|sushi|burgers?|steaks?|curry|biryani|noodles?|vegan|vegetarian|gluten|appetizers?|entr[eé]es?|ambien(ce|t)|atmosphere|decor|takeout|take-out|delivery|dine|dining|dined|eat|eating|ate|served|serving|places?|spots?|joints?)\b/iu;

/** Words that refer back to something named earlier in the conversation. */
const REFERRING_WORD = /\b(it|its|it's|they|them|their|theirs|there|they're|this|that|these|those|he|she|his|her|the same)\b/iu;

/** How many recent turns decide whether the conversation is about restaurants. */
const CONTEXT_TURNS = 6;

export function hasRestaurantCue(text: string): boolean {
  return RESTAURANT_CUE.test(text);
}

export function hasReferringWord(text: string): boolean {
  return REFERRING_WORD.test(text);
}

/** True when one of the last turns (either side) talks about restaurants or their reviews. */
export function isReviewConversation(history: readonly ChatTurn[] | undefined): boolean {
  if (history === undefined || history.length === 0) return false;
  for (let index = history.length - 1; index >= Math.max(0, history.length - CONTEXT_TURNS); index -= 1) {
    if (hasRestaurantCue(history[index]!.content)) return true;
  }
  return false;
}
