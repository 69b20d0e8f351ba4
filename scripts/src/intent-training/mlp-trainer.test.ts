import { describe, expect, it } from 'vitest';
import { ArtifactIntentClassifier } from '@review-assistant/cloud-gateway/intent/artifact-classifier';
import { tinyArtifact, trainTiny } from './test-support.js';

describe('training', () => {
  it('is deterministic: the same seed gives identical weights', () => {
    const first = trainTiny(11).weights;
    const second = trainTiny(11).weights;
    second.networks.forEach((network, index) => {
      expect(network.featureIds).toEqual(first.networks[index]!.featureIds);
      expect(network.embedding.values).toEqual(first.networks[index]!.embedding.values);
      expect(network.output.values).toEqual(first.networks[index]!.output.values);
      expect(network.outputBias).toEqual(first.networks[index]!.outputBias);
    });
  });

  it('gives different weights for a different seed', () => {
    const first = trainTiny(11).weights;
    const other = trainTiny(12).weights;
    expect(other.networks[0]!.output.values).not.toEqual(first.networks[0]!.output.values);
  });

  it('learns the training texts of the tiny subset', () => {
    const { manifest, weights } = tinyArtifact();
    const classifier = new ArtifactIntentClassifier({ manifest, weights }, 0);
    expect(classifier.predict('what is my bank balance').intent.name).toBe('balance');
    expect(classifier.predict('thank you so much').intent.name).toBe('thank_you');
  });
});
