/**
 * `npm run eval:intent -- <data.json> [--model PATH|s3://bucket/key] [--split val|test] [--json]`:
 * evaluates the intent model on a CLINC150-format file (`{"in_scope", "oos"}`, or the full
 * format with `val`/`test` + `oos_val`/`oos_test`).
 */
import { readFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { decodeArtifact, type DecodedArtifact, createArtifactSource } from '@review-assistant/cloud-gateway/intent';
import { parseClincFile, type FullSplitName } from './intent-training/clinc-data.js';
import { evaluateArtifact, metricsMarkdown } from './intent-training/evaluation-report.js';

async function main(): Promise<void> {
  const { values, positionals } = parseArgs({
    allowPositionals: true,
    options: {
      model: { type: 'string' },
      split: { type: 'string' },
      json: { type: 'boolean', default: false },
    },
  });
  const file = positionals[0];
  if (file === undefined) throw new Error('usage: npm run eval:intent -- <data.json> [--model PATH|s3://bucket/key] [--split val|test] [--json]');
  if (values.split !== undefined && !['train', 'val', 'test'].includes(values.split)) throw new Error(`--split must be train, val or test, got ${values.split}`);
  const split = parseClincFile(JSON.parse(await readFile(resolve(file), 'utf8')), values.split as FullSplitName | undefined);
  const uri = values.model ?? process.env.INTENT_MODEL_URI;
  const source = createArtifactSource(uri, { cacheDir: join(process.env.DATA_DIR ?? tmpdir(), 'cache') });
  let artifact: DecodedArtifact | undefined;
  await source.load((bytes) => {
    artifact = decodeArtifact(bytes);
  });
  if (artifact === undefined) throw new Error(`no artifact loaded from ${source.location}`);
  const metrics = evaluateArtifact(artifact, split);
  if (values.json) {
    console.log(JSON.stringify({ model: artifact.manifest.version, file: resolve(file), ...metrics }, null, 2));
    return;
  }
  console.log(`model ${artifact.manifest.version} (${source.location}) on ${resolve(file)}\n`);
  console.log(metricsMarkdown(metrics));
}

main().catch((error: unknown) => {
  console.error(`eval:intent failed: ${error instanceof Error ? error.message : String(error)}`);
  process.exit(1);
});
