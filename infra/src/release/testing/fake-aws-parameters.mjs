#!/usr/bin/env node
// A stand-in for the AWS CLI calls of infra/scripts/edge-secret.sh, keeping its state in the JSON
// file $FAKE_AWS_STATE: { parameters: { name: [values by version] }, instances: [ids],
// restarts: [instance ids], calls: [argv], outputs?: { key: value }, unready?: [instance ids],
// readFails?: boolean }. An instance in `unready` never becomes a healthy load balancer target
// (elbv2 wait target-in-service gives up with 255, as the CLI's waiter does); `readFails` makes
// get-parameters fail as with expired credentials. put-parameter reads `--value file://…` as the CLI
// does (the file's bytes, verbatim) and refuses an existing name without --overwrite.
import { readFileSync, writeFileSync } from 'node:fs';

const file = process.env.FAKE_AWS_STATE;
const state = JSON.parse(readFileSync(file, 'utf8'));
const args = process.argv.slice(2);
state.calls.push(args);
const option = (name) => (args.includes(name) ? args[args.indexOf(name) + 1] : undefined);
const [service, command] = args;
let out = '';
let code = 0;
const fail = (message) => {
  console.error(message);
  code = 254;
};

if (service === 'ssm' && command === 'get-parameters') {
  if (state.readFails) fail('An error occurred (ExpiredTokenException) when calling the GetParameters operation: The security token included in the request is expired');
  else out = String(state.parameters[option('--names')] ? 1 : 0);
} else if (service === 'ssm' && command === 'get-parameter') {
  const versions = state.parameters[option('--name')];
  if (!versions) fail('An error occurred (ParameterNotFound)');
  else out = versions.at(-1);
} else if (service === 'ssm' && command === 'put-parameter') {
  const name = option('--name');
  const value = option('--value');
  if (!value?.startsWith('file://')) fail('the value must come from a file');
  else if (state.parameters[name] && !args.includes('--overwrite')) fail('An error occurred (ParameterAlreadyExists)');
  else {
    state.parameters[name] = [...(state.parameters[name] ?? []), readFileSync(value.slice('file://'.length), 'utf8')];
    out = String(state.parameters[name].length);
  }
} else if (service === 'ssm' && command === 'delete-parameter') {
  if (!state.parameters[option('--name')]) fail('An error occurred (ParameterNotFound)');
  else delete state.parameters[option('--name')];
} else if (service === 'cloudformation' && command === 'describe-stacks') {
  const key = /OutputKey=='(\w+)'/.exec(option('--query'))[1];
  out = { AutoScalingGroupName: 'gateway-group', ...state.outputs }[key] ?? 'None';
} else if (service === 'elbv2' && command === 'wait' && args[2] === 'target-in-service') {
  if (option('--target-group-arn') !== state.outputs?.TargetGroupArn) fail('TargetGroupNotFound');
  else if ((state.unready ?? []).includes(option('--targets').replace(/^Id=/, ''))) {
    console.error('Waiter TargetInService failed: Max attempts exceeded');
    code = 255;
  }
} else if (service === 'autoscaling') {
  out = state.instances.length ? state.instances.join('\t') : 'None';
} else if (service === 'ssm' && command === 'send-command') {
  if (!JSON.parse(option('--parameters')).commands.includes('systemctl restart review-assistant-gateway.service')) fail('unexpected command');
  state.restarts.push(option('--instance-ids'));
  out = `command-${state.calls.length}`;
} else if (service === 'ssm' && command === 'wait') {
  out = '';
} else {
  code = 2;
}
writeFileSync(file, JSON.stringify(state));
if (out) console.log(out);
process.exit(code);
