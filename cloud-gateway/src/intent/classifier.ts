import type { ScoredIntent } from '@review-assistant/shared';

/** What the classifier says about one text. */
export interface IntentPrediction {
  intent: ScoredIntent;
  domain: string;
  outOfScope: boolean;
  /** Top intents, best first (5 by default). */
  ranking: ScoredIntent[];
}

/** Facts about the loaded model, shown on the test page and in /readyz. */
export interface IntentModelInfo {
  version: string;
  createdAt: string;
  algorithm: string;
  labels: number;
  /** Metrics measured on CLINC150 val when the artifact was trained. */
  valMetrics: Record<string, number>;
}

export interface IntentClassifier {
  readonly info: IntentModelInfo;
  /** Synchronous and fast (p99 < 1 ms): it runs on the gateway's event loop. */
  predict(text: string, topK?: number): IntentPrediction;
}

/** Load state of the intent model, for /readyz, /api/status and the test page. */
export interface IntentModelStatus {
  ready: boolean;
  version: string | null;
  /** Why the model is not ready (e.g. checksum mismatch), or a short note when it is. */
  message: string | null;
}

/** Holds the current classifier; loading happens in the background at start-up. */
export interface IntentService {
  status(): IntentModelStatus;
  /** The loaded classifier, or undefined while loading or after a failed load. */
  current(): IntentClassifier | undefined;
}
