import { keywordIntentService, testPolicy } from '@review-assistant/cloud-gateway/testing/gateway-harness';

/**
 * The browser tests' intent set-up is the gateway test harness's: a deterministic keyword
 * classifier (greetings are small talk, everything else a dining question) and its routing
 * policy. The UI tests are about rendering what the gateway streams, so the intent only has to
 * be predictable, not learned.
 */
export { keywordIntentService };

/** Small talk answered by the gateway, everything else to a worker. */
export const greetingPolicy = testPolicy;

/** What the gateway answers to a greeting under `greetingPolicy`, read from the policy itself. */
export const SMALL_TALK_REPLY: string = smallTalkReply();

function smallTalkReply(): string {
  const prediction = keywordIntentService().current()?.predict('hello');
  const reply = prediction ? testPolicy.decide(prediction, 'hello').reply : undefined;
  if (prediction?.domain !== 'small_talk' || reply === undefined) throw new Error('the test policy no longer answers a greeting itself');
  return reply;
}
