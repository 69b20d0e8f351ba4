/**
 * `npm run train:intent [-- --seed N] [--out PATH]`: trains the intent model on CLINC150 + the
 * project's dining utterances and writes the artifact (default: cloud-gateway/models/).
 */
import { mkdir, writeFile } from 'node:fs/promises';
import { dirname, resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { defaultArtifactPath } from '@review-assistant/cloud-gateway/intent';
import { readTrainingData, shippedTrainingOptions, trainArtifact } from './intent-training/training-pipeline.js';

const percent = (value: number | undefined): string => `${((value ?? Number.NaN) * 100).toFixed(2)}%`;

async function main(): Promise<void> {
  const { values } = parseArgs({
    options: {
      seed: { type: 'string', default: String(shippedTrainingOptions.seed) },
      out: { type: 'string', default: defaultArtifactPath },
      data: { type: 'string' },
    },
  });
  const seed = Number(values.seed);
  if (!Number.isInteger(seed)) throw new Error(`--seed must be an integer, got ${values.seed}`);
  const started = performance.now();
  const data = await readTrainingData(values.data === undefined ? undefined : resolve(values.data));
  console.log(
    `training on ${data.train.inScope.length} in-scope + ${data.train.outOfScope.length} oos CLINC150 texts + ${data.dining.train.length} dining utterances (seed ${seed})`,
  );
  const options = shippedTrainingOptions;
  let lastLine = performance.now();
  const result = await trainArtifact(data, {
    ...options,
    seed,
    onProgress: ({ member, epoch, loss, trainAccuracy }) => {
      const now = performance.now();
      console.log(
        `  network ${member + 1}/${options.features.length} epoch ${epoch + 1}/${options.epochs}: loss ${loss.toFixed(4)}, train acc ${percent(trainAccuracy)} (${((now - lastLine) / 1000).toFixed(1)} s)`,
      );
      lastLine = now;
    },
  });
  const out = resolve(values.out);
  await mkdir(dirname(out), { recursive: true });
  await writeFile(out, result.bytes);
  const metrics = result.manifest.valMetrics;
  console.log(`val (threshold ${metrics.threshold?.toFixed(2)}): in-scope accuracy ${percent(metrics.inScopeAccuracy)}, oos recall ${percent(metrics.oosRecall)}, oos precision ${percent(metrics.oosPrecision)}, macro-F1 ${percent(metrics.macroF1)}`);
  console.log(`val (no threshold): in-scope accuracy ${percent(metrics.inScopeAccuracyWithoutThreshold)}, oos recall ${percent(metrics.oosRecallWithoutThreshold)}`);
  console.log(`held-out dining questions predicted as a dining intent: ${percent(metrics.diningHeldOutDining)}`);
  console.log(`wrote ${out} (${(result.bytes.length / 2 ** 20).toFixed(2)} MiB, version ${result.manifest.version}); training ${(result.durationMs / 1000).toFixed(1)} s wall / ${(result.cpuMs / 1000).toFixed(1)} s CPU, total ${((performance.now() - started) / 1000).toFixed(1)} s`);
}

main().catch((error: unknown) => {
  console.error(`train:intent failed: ${error instanceof Error ? error.message : String(error)}`);
  process.exit(1);
});
