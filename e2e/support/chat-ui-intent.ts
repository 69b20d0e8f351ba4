import { keywordIntentService, testPolicy } from '@review-assistant/cloud-gateway/testing';

/**
 * What the gateway answers to a greeting under the test harness's intent set-up (a keyword
 * classifier and `testPolicy`), read from the policy itself so the browser tests cannot drift.
 */
export const SMALL_TALK_REPLY: string = smallTalkReply();

function smallTalkReply(): string {
  const prediction = keywordIntentService().current()?.predict('hello');
  const reply = prediction ? testPolicy.decide(prediction, 'hello').reply : undefined;
  if (prediction?.domain !== 'small_talk' || reply === undefined) throw new Error('the test policy no longer answers a greeting itself');
  return reply;
}
