/**
 * `npm run build:ui -w cloud-gateway`: bundles the chat UI into `cloud-gateway/dist/public`, which
 * the compiled gateway (production image) serves without needing esbuild at run time.
 */
import { writeUiBundle } from './assets.js';

try {
  const written = await writeUiBundle();
  for (const path of written) console.log(`wrote ${path}`);
} catch (error) {
  console.error(`chat UI build failed: ${error instanceof Error ? error.message : String(error)}`);
  process.exit(1);
}
