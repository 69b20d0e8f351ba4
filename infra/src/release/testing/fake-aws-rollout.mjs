#!/usr/bin/env node
// A stand-in for the AWS CLI calls of infra/scripts/rollout.sh, keeping its state in the JSON file
// $FAKE_AWS_STATE: { outputs, versions: [{ id, body }], instances: { id: runningBody }, calls: [],
// slowWaits? }.
// S3 keeps every version of the release object. "ssm send-command" restarts the instance the way
// the prepare script does (fetch the current version, then start it), except that a release whose
// body contains "stale" is not installed and the instance keeps running what it ran (as when the
// download fails or the tarball has no server.js), and one whose body contains "exits at start"
// leaves no main process. The command's own shell script then really runs
// in bash, against a started process whose working directory holds that release's RELEASE.sha256
// (and a systemctl stand-in that names it as the main pid, and a curl stand-in for the gateway's
// loopback /readyz, 200 unless the release is "broken" or none runs), and its output and exit
// status become the command invocation's. "elbv2 wait target-in-service" always succeeds (the load
// balancer still lists a target as healthy for a while after its gateway stopped answering).
import { spawn, spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { chmodSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

const file = process.env.FAKE_AWS_STATE;
const state = JSON.parse(readFileSync(file, 'utf8'));
state.invocations ??= {};
const args = process.argv.slice(2);
state.calls.push(args.join(' '));
const option = (name) => args[args.indexOf(name) + 1];
const save = () => writeFileSync(file, JSON.stringify(state));
const latest = () => state.versions.at(-1);
const sha256 = (text) => createHash('sha256').update(text).digest('hex');
const [service, command] = args;
let out = '';
let code = 0;

function runOnInstance(instance, commands) {
  const sandbox = mkdtempSync(join(tmpdir(), 'fake-instance-'));
  try {
    const running = state.instances[instance];
    const release = join(sandbox, 'release');
    mkdirSync(release);
    if (running !== null) {
      writeFileSync(join(release, 'RELEASE.sha256'), `${sha256(running)}\n`);
      writeFileSync(join(release, 'RELEASE.json'), `{\n  "commit": "${sha256(running).slice(0, 40)}"\n}\n`);
    }
    const main = spawn('sleep', ['30'], { cwd: release, stdio: 'ignore' });
    mkdirSync(join(sandbox, 'bin'));
    writeFileSync(join(sandbox, 'bin', 'systemctl'), `#!/bin/sh\n[ "$1" = show ] && echo ${running === null ? 0 : main.pid}\nexit 0\n`);
    chmodSync(join(sandbox, 'bin', 'systemctl'), 0o755);
    // the gateway's own /readyz on loopback: 200 only while it runs a release that is not "broken"
    const ready = running !== null && !running.includes('broken');
    writeFileSync(join(sandbox, 'bin', 'curl'), `#!/bin/sh\nexit ${ready ? 0 : 22}\n`);
    chmodSync(join(sandbox, 'bin', 'curl'), 0o755);
    // as AWS-RunShellScript does: the lines as one script, its status the last command's
    const result = spawnSync('bash', ['-c', commands.join('\n')], { env: { PATH: `${join(sandbox, 'bin')}:${process.env.PATH}` }, encoding: 'utf8' });
    main.kill('SIGKILL');
    return { stdout: result.stdout, status: result.status ?? 1 };
  } finally {
    rmSync(sandbox, { recursive: true, force: true });
  }
}

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
} else if (service === 's3api' && command === 'get-object') {
  const source = state.versions.find((version) => version.id === option('--version-id'));
  if (!source) code = 254;
  else writeFileSync(args.at(-1), source.body);
} else if (service === 'autoscaling') {
  out = Object.keys(state.instances).join('\t');
} else if (service === 'ssm' && command === 'send-command') {
  const instance = option('--instance-ids');
  const { commands } = JSON.parse(option('--parameters'));
  const body = latest()?.body ?? null;
  if (body !== null && !(body.includes('stale') && state.instances[instance] !== null)) state.instances[instance] = body;
  // a release whose process exits at once: systemd has no main process afterwards
  if (body?.includes('exits at start')) state.instances[instance] = null;
  out = `command-${state.calls.length}`;
  state.invocations[out] = runOnInstance(instance, commands);
} else if (service === 'ssm' && command === 'wait') {
  // the CLI's waiter exits 255 when the command ends in a failed state, and also when it gives up
  // (100 s) on a command that still runs: the first `slowWaits` waits do that
  const invocation = state.invocations[option('--command-id')];
  if (state.slowWaits > 0 && invocation) {
    state.slowWaits -= 1;
    invocation.running = true;
    code = 255;
  } else code = invocation?.status === 0 ? 0 : 255;
} else if (service === 'ssm' && command === 'get-command-invocation') {
  const invocation = state.invocations[option('--command-id')];
  if (option('--query') === 'Status') {
    out = invocation?.running ? 'InProgress' : invocation?.status === 0 ? 'Success' : 'Failed';
    if (invocation) invocation.running = false;
  }
  else out = invocation?.stdout.trimEnd() ?? '';
} else if (service === 'elbv2' && command === 'wait' && args[2] === 'target-in-service') {
  // the load balancer's view lags: it still lists a restarted instance as healthy until its health
  // checks fail (3 x 15 s), so this fake always reports the target in service
  if (option('--target-group-arn') !== state.outputs.TargetGroupArn) code = 254;
} else {
  code = 2;
}
save();
if (out) console.log(out);
process.exit(code);
