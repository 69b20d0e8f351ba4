// `npm run chroma`: runs only the embedded Chroma server for DATA_DIR (the one `npm start` and the
// CLIs use) until Ctrl-C. If one is already running for this DATA_DIR it prints its URL and exits.
// `npm run chroma -- --prepare` only prepares the glibc loader on hosts that need it (CI does this
// once up front, so parallel tests do not all wait for the download).
import { resolve } from 'node:path';
import { environment, loadConfig } from '@review-assistant/shared';
import { ensureChroma, hostNeedsNewerGlibc, prepareGlibcLoader, runtimeGlibcVersion } from '@review-assistant/local-worker';

const logger = { info: (message: string) => console.log(message), warn: (message: string) => console.warn(message) };

try {
  if (process.argv.includes('--prepare')) {
    if (hostNeedsNewerGlibc()) {
      const loader = await prepareGlibcLoader({ logger });
      console.log(`glibc ${loader.glibcVersion} loader ready: ${loader.loaderPath}`);
    } else {
      console.log(`glibc ${runtimeGlibcVersion() ?? '(none)'} runs the chromadb bindings directly; nothing to prepare.`);
    }
    process.exit(0);
  }
  const config = loadConfig({ dataDir: environment.dataDir, chromaUrl: environment.chromaUrl });
  const chroma = await ensureChroma({
    dataDir: resolve(config.dataDir),
    chromaUrl: config.chromaUrl,
    handleSignals: false,
    onOutput: (line) => process.stdout.write(`[chroma] ${line}\n`),
    logger,
  });
  if (!chroma.owned) {
    console.log(`Chroma is already running at ${chroma.url}; nothing to start.`);
    process.exit(0);
  }
  console.log(`Chroma at ${chroma.url} (CHROMA_URL=${chroma.url}); Ctrl-C stops it.`);
  const stop = () => {
    chroma.stop().then(
      () => process.exit(0),
      (error: unknown) => {
        console.error((error as Error).message);
        process.exit(1);
      },
    );
  };
  for (const signal of ['SIGINT', 'SIGTERM', 'SIGHUP'] as const) process.once(signal, stop);
  setInterval(() => {}, 1 << 30);
} catch (error) {
  console.error(`npm run chroma: ${(error as Error).message}`);
  process.exit(1);
}
