import { ArtifactIntentClassifier } from './artifact-classifier.js';
import { decodeArtifact, type ArtifactManifest, type DecodedArtifact } from './artifact.js';
import { createArtifactSource, type ArtifactSource, type S3Options } from './artifact-source.js';
import type { IntentClassifier, IntentModelStatus, IntentService } from './classifier.js';

/** Minimal logger shape (pino-compatible). */
export interface IntentLogger {
  info(object: object, message?: string): void;
  error(object: object, message?: string): void;
}

export interface IntentServiceOptions {
  /** Path, `file://` URL or `s3://bucket/key`; unset: the bundled artifact. Usually `INTENT_MODEL_URI`. */
  uri?: string | undefined;
  /** Local cache for remote artifacts (`DATA_DIR/cache`). */
  cacheDir: string;
  logger?: IntentLogger | undefined;
  /** S3 client settings (endpoint, region...); tests use a local S3-compatible server. */
  s3?: S3Options;
  /** A ready-made source instead of one built from `uri` (tests). */
  source?: ArtifactSource;
}

/** `IntentService` that also exposes the manifest for the model info endpoint. */
export interface LoadingIntentService extends IntentService {
  /** Settles when the background load finished (ready or failed); never rejects. */
  readonly loaded: Promise<void>;
  manifest(): ArtifactManifest | undefined;
}

const warmUpTexts = ['hello there', 'what do reviewers say about the service', 'what is my account balance', 'book a flight to rome', 'thanks a lot'].flatMap((text) => [text, text.toUpperCase(), `${text} please`]);

/** Starts loading the artifact in the background and reports loading / ready / failed. */
export function createIntentService(options: IntentServiceOptions): LoadingIntentService {
  let classifier: IntentClassifier | undefined;
  let decoded: DecodedArtifact | undefined;
  let status: IntentModelStatus = { ready: false, version: null, message: 'loading the intent model' };

  const load = async (): Promise<void> => {
    let source: ArtifactSource;
    try {
      source = options.source ?? createArtifactSource(options.uri, { cacheDir: options.cacheDir, ...(options.s3 ? { s3: options.s3 } : {}) });
    } catch (error) {
      status = { ready: false, version: null, message: (error as Error).message };
      options.logger?.error({ err: error }, 'intent model configuration is invalid');
      return;
    }
    status = { ready: false, version: null, message: `loading the intent model from ${source.location}` };
    const started = performance.now();
    try {
      const { note } = await source.load((bytes) => {
        decoded = decodeArtifact(bytes);
      });
      if (decoded === undefined) throw new Error('the artifact source returned without verifying the artifact');
      const loadedClassifier = new ArtifactIntentClassifier(decoded);
      // a few predictions let the JIT compile the hot loops before the first real request
      for (const text of warmUpTexts) loadedClassifier.predict(text);
      classifier = loadedClassifier;
      status = { ready: true, version: decoded.manifest.version, message: note };
      options.logger?.info(
        { version: decoded.manifest.version, checksum: decoded.checksum, ms: Math.round(performance.now() - started) },
        `intent model ready: ${note}`,
      );
    } catch (error) {
      decoded = undefined;
      classifier = undefined;
      const reason = error instanceof Error ? error.message : String(error);
      status = { ready: false, version: null, message: `intent model from ${source.location} not loaded: ${reason}` };
      options.logger?.error({ err: error }, status.message ?? 'intent model not loaded');
    }
  };

  const loaded = load();
  return {
    loaded,
    status: () => status,
    current: () => classifier,
    manifest: () => decoded?.manifest,
  };
}
