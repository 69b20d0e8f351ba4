import { gunzipSync, gzipSync } from 'node:zlib';
import { describe, expect, it } from 'vitest';
import { ArtifactIntentClassifier } from './artifact-classifier.js';
import { ARTIFACT_FORMAT_VERSION, ArtifactError, decodeArtifact, encodeArtifact } from './artifact.js';
import { rewriteManifest, tinyArtifact, tinyWordVectorSource } from '../testing/tiny-intent-artifact.js';

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

  it('views the 4-byte tensors in place, as it does the int8 ones: the writer aligns them', () => {
    expect(manifest.tensors.every((tensor) => tensor.offset % 4 === 0)).toBe(true);
    const network = decodeArtifact(bytes).weights.networks[0]!;
    const inflated = network.embedding.values.buffer;
    for (const tensor of [network.featureIds, network.idf, network.embedding.scales, network.hiddenBias, network.outputBias]) expect(tensor.buffer).toBe(inflated);
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
    expect(() => decodeArtifact(future)).toThrow(new RegExp(`format version 99 is not supported.*versions 2, 3, ${ARTIFACT_FORMAT_VERSION}`));
  });

  it('refuses a manifest whose tensors do not fit the labels', () => {
    const broken = rewriteManifest(bytes, (draft) => {
      draft.labels = [...(draft.labels as string[]), 'extra_label'];
    });
    expect(() => decodeArtifact(broken)).toThrow(/does not match the feature rows or labels/);
  });
});

describe('intent model artifact with word vectors (format 3 and later)', () => {
  const { bytes, manifest, weights } = tinyArtifact({}, { wordVectors: true });

  it('round-trips the word vectors, their source and the word-vector inputs', () => {
    const decoded = decodeArtifact(bytes);
    expect(decoded.manifest.formatVersion).toBe(ARTIFACT_FORMAT_VERSION);
    expect(decoded.manifest.wordVectors).toEqual({ source: tinyWordVectorSource, dims: weights.wordVectors!.dims, words: weights.wordVectors!.words.length });
    expect(decoded.weights.wordVectors!.words).toEqual(weights.wordVectors!.words);
    expect(decoded.weights.wordVectors!.values).toEqual(weights.wordVectors!.values);
    expect(decoded.weights.wordVectors!.scales).toEqual(weights.wordVectors!.scales);
    expect(decoded.weights.networks[1]!.vectorInput!.values).toEqual(weights.networks[1]!.vectorInput!.values);
    expect(decoded.weights.networks[0]!.vectorInput).toBeUndefined();
  });

  it('recognises through the word vectors a word the n-gram network has never seen', () => {
    const withVectors = new ArtifactIntentClassifier(decodeArtifact(bytes));
    const withoutVectors = new ArtifactIntentClassifier(decodeArtifact(tinyArtifact().bytes));
    expect(withVectors.predict('howdy').intent.name).toBe('greeting');
    expect(withVectors.predict('cheers mate').intent.name).toBe('thank_you');
    expect(withoutVectors.predict('howdy').intent.name).toBe('oos');
    expect(new ArtifactIntentClassifier({ manifest, weights }).predict('a storm is coming')).toEqual(withVectors.predict('a storm is coming'));
  });

  it('refuses a network that reads word vectors when the artifact carries none', () => {
    const broken = rewriteManifest(bytes, (draft) => {
      delete draft.wordVectors;
    });
    expect(() => decodeArtifact(broken)).toThrow(/network 1 reads word vectors but the artifact has none/);
  });

  it('still reads a format 2 artifact (no word vectors)', () => {
    const old = rewriteManifest(tinyArtifact().bytes, (draft) => {
      draft.formatVersion = 2;
    });
    expect(new ArtifactIntentClassifier(decodeArtifact(old)).predict('hello there').intent.name).toBe('greeting');
  });

  it('will not write word vectors without their source', () => {
    const { format: _format, formatVersion: _version, tensors: _tensors, networks: _networks, features: _features, wordVectors: _vectors, ...description } = manifest;
    expect(() => encodeArtifact(description, weights)).toThrow(/say where they come from/);
  });
});

describe('intent model artifact with logit averaging (format 4)', () => {
  const { bytes, manifest, weights } = tinyArtifact({}, { wordVectors: true, averaging: 'logits' });

  it('records the averaging in the manifest and predicts the same after decoding', () => {
    const decoded = decodeArtifact(bytes);
    expect(decoded.manifest.averaging).toBe('logits');
    expect(decoded.weights.averaging).toBe('logits');
    const before = new ArtifactIntentClassifier({ manifest, weights });
    const after = new ArtifactIntentClassifier(decoded);
    for (const text of ['howdy', 'thanks for the flight', 'is a storm coming to the bank']) expect(after.predict(text)).toEqual(before.predict(text));
    // the confidences are those of averaged logits, not of averaged probabilities
    const probabilityAveraged = new ArtifactIntentClassifier(decodeArtifact(tinyArtifact({}, { wordVectors: true }).bytes));
    expect(after.predict('howdy').intent.confidence).toBeGreaterThan(probabilityAveraged.predict('howdy').intent.confidence + 0.1);
  });

  it('reads an artifact without the field (formats 2 and 3) as averaged probabilities', () => {
    const older = decodeArtifact(tinyArtifact({}, { wordVectors: true }).bytes);
    expect(older.manifest.averaging).toBeUndefined();
    expect(older.weights.averaging).toBeUndefined();
  });
});
