/**
 * Intent model benchmark: CLINC150 val metrics of the shipped artifact, routing of the held-out
 * dining questions, prediction latency against the feature-extraction baseline, artifact size,
 * and the RSS of a process serving the intent routes with and without the model.
 */
import { execFile } from 'node:child_process';
import { readFile, stat } from 'node:fs/promises';
import { cpus, loadavg } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { ArtifactIntentClassifier, decodeArtifact, defaultArtifactPath, extractFeatures, type DecodedArtifact } from '@review-assistant/cloud-gateway/intent';
import { evaluateArtifact, metricsMarkdown } from '../intent-training/evaluation-report.js';
import { readTrainingData } from '../intent-training/training-pipeline.js';
import { IntentRoutingPolicy } from '@review-assistant/cloud-gateway';
import type { IntentMetrics } from '../intent-training/evaluation.js';
import { readRoutingCases, routeCases } from '../intent-training/routing-cases.js';
import { percentile, type BenchSection } from './types.js';

const here = dirname(fileURLToPath(import.meta.url));
const percent = (value: number | undefined): string => `${((value ?? Number.NaN) * 100).toFixed(2)}%`;
const mib = (bytes: number): string => `${(bytes / 2 ** 20).toFixed(1)} MiB`;

interface Probe {
  ready: boolean;
  ok: number;
  rss: number;
  heapUsed: number;
  arrayBuffers: number;
  rssAfterGc: number;
  arrayBuffersAfterGc: number;
}

async function probe(withModel: boolean, model?: string): Promise<Probe> {
  const args = ['--expose-gc', '--import', 'tsx', '--conditions=development', join(here, 'intent-rss-probe.ts'), ...(withModel ? [] : ['--no-model']), ...(model === undefined ? [] : ['--model', model])];
  const { stdout } = await promisify(execFile)(process.execPath, args, { cwd: join(here, '..', '..', '..'), timeout: 120_000 });
  return JSON.parse(stdout.trim().split('\n').at(-1)!) as Probe;
}

/** `--intent-baseline=PATH`: another artifact (e.g. the previous model) measured in the same run. */
function baselinePath(): string | undefined {
  const flag = process.argv.find((argument) => argument.startsWith('--intent-baseline='));
  return flag === undefined ? undefined : flag.slice('--intent-baseline='.length);
}

/** predict() wall and CPU time of several classifiers, interleaved text by text so load hits them alike. */
function interleavedLatency(classifiers: ArtifactIntentClassifier[], texts: string[]) {
  for (const classifier of classifiers) for (const text of texts.slice(0, 500)) classifier.predict(text);
  const wall = classifiers.map(() => [] as number[]);
  const cpu = classifiers.map(() => [] as number[]);
  for (let pass = 0; pass < 3; pass += 1) {
    for (const text of texts) {
      classifiers.forEach((_, offset) => {
        const index = (offset + pass) % classifiers.length;
        const cpuStarted = process.cpuUsage();
        const started = performance.now();
        classifiers[index]!.predict(text);
        wall[index]!.push(performance.now() - started);
        const used = process.cpuUsage(cpuStarted);
        cpu[index]!.push((used.user + used.system) / 1000);
      });
    }
  }
  return classifiers.map((_, index) => ({ wallP50: percentile(wall[index]!, 50), wallP99: percentile(wall[index]!, 99), cpuP50: percentile(cpu[index]!, 50), cpuP99: percentile(cpu[index]!, 99) }));
}

async function comparison(current: DecodedArtifact, currentVal: IntentMetrics, path: string, texts: string[]): Promise<string[]> {
  const baseline = decodeArtifact(await readFile(path));
  const data = await readTrainingData();
  const baselineVal = evaluateArtifact(baseline, data.val);
  const [newLatency, oldLatency] = interleavedLatency([new ArtifactIntentClassifier(current), new ArtifactIntentClassifier(baseline)], texts);
  const [oldProbe, newProbe, emptyProbe] = [await probe(true, path), await probe(true), await probe(false)];
  const cases = await readRoutingCases();
  const policy = new IntentRoutingPolicy();
  const routed = (artifact: DecodedArtifact) => routeCases(new ArtifactIntentClassifier(artifact), policy, cases).filter((item) => item.route === item.case.route).length;
  const size = async (file: string) => (await stat(file)).size;
  const row = (name: string, old: string, now: string) => `| ${name} | ${old} | ${now} |`;
  return [
    `**Previous model vs this model, same run** (\`npm run bench -- intent --intent-baseline=PATH\`; previous: \`${baseline.manifest.version}\`, ${baseline.manifest.algorithm.split(':')[0]}; this: \`${current.manifest.version}\`). Each at its own shipped threshold; latency measured interleaved, text by text.`,
    '',
    '| CLINC150 val | previous | this model |',
    '| --- | ---: | ---: |',
    row('confidence threshold', baselineVal.threshold.toFixed(3), currentVal.threshold.toFixed(3)),
    row('in-scope accuracy', percent(baselineVal.inScopeAccuracy), percent(currentVal.inScopeAccuracy)),
    row('oos recall', percent(baselineVal.oosRecall), percent(currentVal.oosRecall)),
    row('oos precision', percent(baselineVal.oosPrecision), percent(currentVal.oosPrecision)),
    row('macro-F1', percent(baselineVal.macroF1), percent(currentVal.macroF1)),
    row('predict() wall p50 / p99', `${oldLatency!.wallP50.toFixed(3)} / ${oldLatency!.wallP99.toFixed(3)} ms`, `${newLatency!.wallP50.toFixed(3)} / ${newLatency!.wallP99.toFixed(3)} ms`),
    row('predict() CPU p50 / p99', `${oldLatency!.cpuP50.toFixed(3)} / ${oldLatency!.cpuP99.toFixed(3)} ms`, `${newLatency!.cpuP50.toFixed(3)} / ${newLatency!.cpuP99.toFixed(3)} ms (${(newLatency!.cpuP50 / oldLatency!.cpuP50).toFixed(2)}×)`),
    row('artifact size', mib(await size(path)), mib(await size(defaultArtifactPath))),
    row('RSS of the probe process with the model (without: ' + mib(emptyProbe.rss) + ')', `${mib(oldProbe.rss)} (+${mib(oldProbe.rss - emptyProbe.rss)})`, `${mib(newProbe.rss)} (+${mib(newProbe.rss - emptyProbe.rss)})`),
    row(`project routing set (\`routing-cases.json\`, ${cases.length} cases, current policy) routed as written`, `${routed(baseline)}`, `${routed(current)}`),
    '',
  ];
}

export async function run(): Promise<BenchSection> {
  const bytes = await readFile(defaultArtifactPath);
  const decoded = decodeArtifact(bytes);
  const { manifest } = decoded;
  const data = await readTrainingData();
  const val = evaluateArtifact(decoded, data.val);

  const classifier = new ArtifactIntentClassifier(decoded);
  const policy = new IntentRoutingPolicy();
  const heldOut = data.dining.heldOut.map(([text]) => ({ text, prediction: classifier.predict(text) }));
  const routes = heldOut.map(({ text, prediction }) => policy.decide(prediction, text).route);
  const toWorker = routes.filter((route) => route === 'worker').length / routes.length;
  const asReviews = heldOut.filter(({ prediction }) => prediction.intent.name === 'restaurant_reviews').length / heldOut.length;
  const misrouted = heldOut.filter((_, index) => routes[index] !== 'worker').map(({ text, prediction }) => `${text} → ${prediction.intent.name}`);

  // latency: full predict() vs the feature-extraction step alone, same texts, same run, warmed up
  const texts = [...data.val.inScope, ...data.val.outOfScope].map(([text]) => text);
  for (const text of texts.slice(0, 500)) classifier.predict(text);
  const predictTimes: number[] = [];
  const predictCpu: number[] = [];
  const featureTimes: number[] = [];
  for (let pass = 0; pass < 3; pass += 1) {
    for (const text of texts) {
      let started = performance.now();
      for (const features of manifest.features) extractFeatures(text, features);
      featureTimes.push(performance.now() - started);
      const cpuStarted = process.cpuUsage();
      started = performance.now();
      classifier.predict(text);
      predictTimes.push(performance.now() - started);
      const cpu = process.cpuUsage(cpuStarted);
      predictCpu.push((cpu.user + cpu.system) / 1000);
    }
  }
  const p50 = percentile(predictTimes, 50);
  const p99 = percentile(predictTimes, 99);
  const baseP50 = percentile(featureTimes, 50);
  const cpuP50 = percentile(predictCpu, 50);
  const cpuP99 = percentile(predictCpu, 99);
  const load = loadavg()[0] ?? 0;

  const [without, withModel] = [await probe(false), await probe(true)];
  const size = (await stat(defaultArtifactPath)).size;
  const baseline = baselinePath();
  const compared = baseline === undefined ? [] : await comparison(decoded, val, baseline, texts);

  const markdown = [
    ...compared,
    `Model \`${manifest.version}\` (${manifest.algorithm}); trained on ${manifest.training.examples} texts in ${(manifest.training.durationMs / 1000).toFixed(0)} s wall / ${((manifest.training.cpuMs ?? Number.NaN) / 1000).toFixed(0)} s CPU on this shared 2-core machine (recorded by \`npm run train:intent\` in the manifest; wall time depends on what else runs, CPU time is what one idle core would need).`,
    '',
    '**CLINC150 val** (`npm run eval:intent -- scripts/data/intent/clinc150/val.json`; the threshold was tuned on this same val split, so these figures are slightly optimistic; the sealed test split is the real check):',
    '',
    metricsMarkdown(val),
    '',
    `Without the threshold (oos class only): in-scope accuracy ${percent(manifest.valMetrics.inScopeAccuracyWithoutThreshold)}, oos recall ${percent(manifest.valMetrics.oosRecallWithoutThreshold)}. References (Larson et al. 2019, test split): SVM 91.0 / 14.5, MLP on USE 93.5 / 47.4, BERT-large 96.9 / 40.3, BERT threshold variant 96.2 / 52.3 (in-scope accuracy / oos recall).`,
    '',
    '**Own held-out review questions** (`scripts/data/intent/dining-utterances.json` → `heldOut`, never trained on):',
    '',
    '| metric | value |',
    '| --- | ---: |',
    `| questions | ${heldOut.length} |`,
    `| routed to a worker (target ≥ 95%) | ${percent(toWorker)} |`,
    `| predicted as restaurant_reviews | ${percent(asReviews)} |`,
    '',
    misrouted.length === 0 ? 'No held-out review question was answered or declined by the gateway.' : `Not routed to a worker: ${misrouted.map((line) => `\`${line}\``).join(', ')}.`,
    '',
    '**Latency and size**',
    '',
    '| measure | value |',
    '| --- | ---: |',
    `| predict() wall time p50 / p99, ${texts.length} val texts × 3, in process | ${p50.toFixed(3)} ms / ${p99.toFixed(3)} ms |`,
    `| predict() CPU time p50 / p99 (process.cpuUsage, µs resolution) | ${cpuP50.toFixed(3)} ms / ${cpuP99.toFixed(3)} ms |`,
    `| baseline: feature extraction alone (every network's n-grams), p50 | ${baseP50.toFixed(3)} ms (predict = ${(p50 / baseP50).toFixed(1)}× the baseline) |`,
    `| artifact size (gzip, int8 weights) | ${mib(size)} (${size} bytes) |`,
    `| RSS, intent routes served, model loaded, after 200 HTTP predictions | ${mib(withModel.rss)} (heap ${mib(withModel.heapUsed)}, array buffers ${mib(withModel.arrayBuffers)}) |`,
    `| RSS, same process without the model (baseline) | ${mib(without.rss)} → the model adds ${mib(withModel.rss - without.rss)} |`,
    `| RSS after a full GC, with / without the model | ${mib(withModel.rssAfterGc)} / ${mib(without.rssAfterGc)} → the model adds ${mib(withModel.rssAfterGc - without.rssAfterGc)} (array buffers ${mib(withModel.arrayBuffersAfterGc)}) |`,
    '',
    `Load average during the run: ${load.toFixed(1)} on ${cpus().length} cores. On a shared machine the wall-time p99 includes time the process spent preempted (the OS scheduler hands out slices of several ms); the CPU-time percentiles show the cost of the prediction itself.`,
    '',
    `The RSS probe is a separate Node process (\`scripts/src/bench/intent-rss-probe.ts\`, run through tsx, which itself costs memory); the full gateway adds its other modules on top. ${withModel.ok}/200 probe requests answered 200.`,
  ].join('\n');
  return { title: 'Intent prediction', markdown };
}
