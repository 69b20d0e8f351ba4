import { gunzipSync, gzipSync } from 'node:zlib';
import { describe, expect, it } from 'vitest';
import { ArtifactIntentClassifier } from './artifact-classifier.js';
import { ARTIFACT_FORMAT_VERSION, ArtifactError, decodeArtifact } from './artifact.js';
import { rewriteManifest, tinyArtifact } from '../testing/tiny-intent-artifact.js';

describe('intent model artifact', () => {
  const { bytes, manifest, weights } = tinyArtifact();

  it('round-trips the manifest and every weight exactly', () => {
    const decoded = decodeArtifact(bytes);
    expect(decoded.manifest).toEqual(manifest);
    expect(decoded.weights.networks).toHaveLength(1);
    decoded.weights.networks.forEach((network, index) => {
      const original = weights.networks[index]!;
      expect(network.features).toEqual(original.features);
      expect(network.featureIds).toEqual(original.featureIds);
      expect(network.idf).toEqual(original.idf);
      expect(network.embedding.values).toEqual(original.embedding.values);
      expect(network.embedding.scales).toEqual(original.embedding.scales);
      expect(network.output.values).toEqual(original.output.values);
      expect(network.outputBias).toEqual(original.outputBias);
    });
  });

  it('also reads the already inflated content', () => {
    expect(decodeArtifact(gunzipSync(bytes)).manifest).toEqual(manifest);
  });

  it('predicts the same after decoding as before encoding', () => {
    const decoded = decodeArtifact(bytes);
    const before = new ArtifactIntentClassifier({ manifest, weights });
    const after = new ArtifactIntentClassifier(decoded);
    for (const text of ['hello there', 'what is my balance', 'book a flight to rome', 'is it going to rain']) {
      expect(after.predict(text)).toEqual(before.predict(text));
    }
  });

  it('refuses a file whose content does not match its checksum', () => {
    const content = gunzipSync(bytes);
    content[content.length - 100] = content[content.length - 100]! ^ 0xff;
    const error = (() => {
      try {
        decodeArtifact(gzipSync(content));
      } catch (caught) {
        return caught;
      }
      return undefined;
    })();
    expect(error).toBeInstanceOf(ArtifactError);
    expect((error as ArtifactError).problem).toBe('checksum_mismatch');
    expect((error as ArtifactError).message).toMatch(/checksum mismatch/);
  });

  it('refuses a truncated or non-gzip file as corrupt', () => {
    expect(() => decodeArtifact(bytes.subarray(0, bytes.length / 2))).toThrow(/not a valid gzip/);
    expect(() => decodeArtifact(Buffer.from('{"hello": "world"}'))).toThrow(ArtifactError);
  });

  it('refuses another format version with a message naming both versions', () => {
    const future = rewriteManifest(bytes, (draft) => {
      draft.formatVersion = 99;
    });
    expect(() => decodeArtifact(future)).toThrow(new RegExp(`format version 99 is not supported.*version ${ARTIFACT_FORMAT_VERSION}`));
  });

  it('refuses a manifest whose tensors do not fit the labels', () => {
    const broken = rewriteManifest(bytes, (draft) => {
      draft.labels = [...(draft.labels as string[]), 'extra_label'];
    });
    expect(() => decodeArtifact(broken)).toThrow(/does not match the feature rows or labels/);
  });
});
