/**
 * The intent model's runtime, as its own entry (`@review-assistant/cloud-gateway/intent`): the
 * artifact format, features, network and classifier that the gateway loads, which the trainer and
 * the evaluation CLIs in `scripts/` build on without loading the rest of the gateway.
 */
export { ArtifactIntentClassifier } from './artifact-classifier.js';
export {
  ARTIFACT_FORMAT_VERSION,
  ArtifactError,
  decodeArtifact,
  encodeArtifact,
  type ArtifactDescription,
  type ArtifactManifest,
  type DecodedArtifact,
} from './artifact.js';
export { createArtifactSource, defaultArtifactPath, type ArtifactSource } from './artifact-source.js';
export type { IntentClassifier, IntentModelInfo, IntentModelStatus, IntentPrediction, IntentService } from './classifier.js';
export { createIntentService, type IntentServiceOptions, type LoadingIntentService } from './intent-service.js';
export { quantizeRows, textWords, type EnsembleAveraging, type IntentModelWeights, type MlpNetwork, type QuantizedMatrix } from './mlp-model.js';
export { defaultFeatureConfig, extractFeatures, readsWordVectors, wordVectorInputs, type FeatureConfig, type SparseFeatures } from './text-features.js';
