#!/usr/bin/env node
// A stand-in for the AWS CLI calls of infra/scripts/rollout.sh, keeping its state in the JSON file
// $FAKE_AWS_STATE: { outputs, versions: [{ id, body }], instances: { id: runningBody }, calls: [] }.
// S3 keeps every version of the release object; "ssm send-command" makes the instance run the
// current version (what `systemctl restart` does on a real instance: fetch, then start).
import { readFileSync, writeFileSync } from 'node:fs';

const file = process.env.FAKE_AWS_STATE;
const state = JSON.parse(readFileSync(file, 'utf8'));
const args = process.argv.slice(2);
state.calls.push(args.join(' '));
const option = (name) => args[args.indexOf(name) + 1];
const save = () => writeFileSync(file, JSON.stringify(state));
const latest = () => state.versions.at(-1);
const [service, command] = args;
let out = '';
let code = 0;
if (service === 'cloudformation' && command === 'describe-stacks') {
  out = state.outputs[/OutputKey=='(\w+)'/.exec(option('--query'))[1]];
} else if (service === 's3api' && command === 'list-object-versions') {
  out = latest()?.id ?? 'None';
} else if (service === 's3' && command === 'cp') {
  state.versions.push({ id: `v${state.versions.length + 1}`, body: readFileSync(args[2], 'utf8') });
} else if (service === 's3api' && command === 'copy-object') {
  const versionId = /versionId=(\S+)$/.exec(option('--copy-source'))[1];
  const source = state.versions.find((version) => version.id === versionId);
  if (!source) code = 254;
  else state.versions.push({ id: `v${state.versions.length + 1}`, body: source.body });
} else if (service === 'autoscaling') {
  out = Object.keys(state.instances).join('\t');
} else if (service === 'ssm' && command === 'send-command') {
  state.instances[option('--instance-ids')] = latest()?.body ?? null;
  out = `command-${state.calls.length}`;
} else if (service === 'ssm' && command === 'wait') {
  out = '';
} else {
  code = 2;
}
save();
if (out) console.log(out);
process.exit(code);
