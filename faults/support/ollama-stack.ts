import { OllamaDouble, type OllamaDoubleOptions } from '@review-assistant/local-worker/testing';
import { ingestWithOllama, SAMPLE_REVIEWS, startChroma, tempDir, type TestChroma } from './stack.js';

/** What the faults suites on the Ollama backend start before their services. */
export interface OllamaStack {
  ollama: OllamaDouble;
  /** Holds the sample reviews, embedded through `ollama`. */
  chroma: TestChroma;
  /** Scratch folder for the services' DATA_DIRs. */
  dirs: Awaited<ReturnType<typeof tempDir>>;
  /** Closes the double, stops Chroma and removes the folder. */
  stop(): Promise<void>;
}

/**
 * The Ollama double (`options` shape its replies and faults), a real Chroma with the sample reviews
 * ingested through the double (as `npm run ingest` does with Ollama up) and a scratch folder
 * `faults-<name>-*`. What started is released again when a later step fails.
 */
export async function startOllamaStack(name: string, options: OllamaDoubleOptions): Promise<OllamaStack> {
  const ollama = await OllamaDouble.start(options);
  let chroma: TestChroma | undefined;
  let dirs: OllamaStack['dirs'] | undefined;
  const stop = async () => {
    await ollama.close();
    await chroma?.stop();
    await dirs?.cleanup();
  };
  try {
    chroma = await startChroma();
    await ingestWithOllama(chroma.chroma.url, ollama.url, SAMPLE_REVIEWS);
    dirs = await tempDir(name);
    return { ollama, chroma, dirs, stop };
  } catch (error) {
    await stop();
    throw error;
  }
}
