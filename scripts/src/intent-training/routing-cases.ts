/**
 * The project's own routing set (`scripts/data/intent/routing-cases.json`): messages, some with
 * the conversation before them, and the route the gateway must take. Used by the shipped-model
 * routing test and by `npm run bench -- intent`.
 */
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { z } from 'zod';
import { ChatTurnSchema, type Route } from '@review-assistant/shared';
import type { IntentClassifier } from '@review-assistant/cloud-gateway/intent';
import type { RoutingPolicy } from '@review-assistant/cloud-gateway';
import { defaultDataDirectory } from './training-pipeline.js';

const RoutingCaseSchema = z.object({
  message: z.string().min(1),
  history: z.array(ChatTurnSchema).optional(),
  route: z.enum(['smalltalk', 'decline', 'worker']),
  note: z.string().optional(),
});
const RoutingCasesSchema = z.object({ description: z.string(), cases: z.array(RoutingCaseSchema).min(1) });
export type RoutingCase = z.infer<typeof RoutingCaseSchema>;

export async function readRoutingCases(dataDirectory = defaultDataDirectory): Promise<RoutingCase[]> {
  return RoutingCasesSchema.parse(JSON.parse(await readFile(join(dataDirectory, 'routing-cases.json'), 'utf8'))).cases;
}

export interface RoutedCase {
  case: RoutingCase;
  route: Route;
  intent: string;
  confidence: number;
}

/** Routes every case as the chat turn does: predict the message, then the policy with the history. */
export function routeCases(classifier: IntentClassifier, policy: RoutingPolicy, cases: readonly RoutingCase[]): RoutedCase[] {
  return cases.map((item) => {
    const prediction = classifier.predict(item.message);
    return { case: item, route: policy.decide(prediction, item.message, item.history).route, intent: prediction.intent.name, confidence: prediction.intent.confidence };
  });
}
