/**
 * Prediction CPU of the current intent runtime and model against a model AS IT SHIPPED: the
 * artifact and the runtime source of an earlier commit (default eaa8621, the model bundled when
 * issue 14 was filed), so a runtime speed-up that also helps the old artifact does not hide what
 * the old release actually cost. `intent.bench.ts` compares two artifacts under today's runtime;
 * this compares two releases. Interleaved blocks of 500 predictions over CLINC150 val, CPU time of
 * this process (process.cpuUsage).
 *
 *   npx tsx --conditions=development scripts/src/bench/intent-shipped-baseline.ts [commit]
 */
import { execFileSync } from 'node:child_process';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { ArtifactIntentClassifier, decodeArtifact, defaultArtifactPath } from '@review-assistant/cloud-gateway/intent';

interface Predictor {
  predict(text: string, topK: number): unknown;
  info: { version: string };
}

const RUNTIME_FILES = ['artifact-classifier', 'artifact', 'classifier', 'mlp-model', 'text-features'];
const root = join(import.meta.dirname, '..', '..', '..');
const commit = process.argv[2] ?? 'eaa8621';
const git = (path: string): Buffer => execFileSync('git', ['-C', root, 'show', `${commit}:${path}`], { maxBuffer: 64 * 2 ** 20 });

// The old runtime goes under .cache/ (git-ignored, inside the repository so its `zod` import resolves).
const folder = join(root, '.cache', 'shipped-intent-runtime', commit);
mkdirSync(folder, { recursive: true });
for (const file of RUNTIME_FILES) writeFileSync(join(folder, `${file}.ts`), git(`cloud-gateway/src/intent/${file}.ts`));
const oldRuntime = (await import(pathToFileURL(join(folder, 'artifact-classifier.ts')).href)) as { ArtifactIntentClassifier: new (artifact: unknown) => Predictor };
const oldArtifact = (await import(pathToFileURL(join(folder, 'artifact.ts')).href)) as { decodeArtifact: (bytes: Uint8Array) => unknown };
const shipped = new oldRuntime.ArtifactIntentClassifier(oldArtifact.decodeArtifact(git('cloud-gateway/models/intent-model.bin.gz')));
const current: Predictor = new ArtifactIntentClassifier(decodeArtifact(readFileSync(defaultArtifactPath)));

const val = JSON.parse(readFileSync(join(root, 'scripts', 'data', 'intent', 'clinc150', 'val.json'), 'utf8')) as { in_scope: [string, string][]; oos: [string, string][] };
const texts = [...val.in_scope, ...val.oos].map(([text]) => text);
const block = (model: Predictor, from: number, count: number): number => {
  const start = process.cpuUsage();
  for (let i = 0; i < count; i += 1) model.predict(texts[(from + i) % texts.length]!, 5);
  const used = process.cpuUsage(start);
  return (used.user + used.system) / count;
};
for (let i = 0; i < 3; i += 1) for (const model of [shipped, current]) block(model, 0, texts.length);
const olds: number[] = [];
const news: number[] = [];
const ROUNDS = 60;
const SIZE = 500;
for (let round = 0; round < ROUNDS; round += 1) {
  const from = (round * SIZE) % texts.length;
  const pair = round % 2 === 0 ? [shipped, current] : [current, shipped];
  for (const model of pair) (model === shipped ? olds : news).push(block(model, from, SIZE));
}
const median = (values: number[]): number => [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)]!;
const ratios = olds.map((old, index) => news[index]! / old);
console.log(`shipped at ${commit}: ${shipped.info.version} with its own runtime; current: ${current.info.version}; ${texts.length} val texts, ${ROUNDS} interleaved blocks of ${SIZE}`);
console.log(`CPU per predict(), median of blocks: shipped ${median(olds).toFixed(1)} µs, current ${median(news).toFixed(1)} µs; current ÷ shipped per block: median ${median(ratios).toFixed(3)} (min ${Math.min(...ratios).toFixed(3)}, max ${Math.max(...ratios).toFixed(3)})`);
