#!/usr/bin/env node
// A stand-in for systemctl in the boot-script test (no systemd in CI). It records every call and
// implements `start [--no-block] <unit>` the way systemd would run the gateway's unit: the
// EnvironmentFile= files in order ("-" = optional, re-read after ExecStartPre), ExecStartPre=+
// (as root), then ExecStart= in WorkingDirectory= with StandardOutput=append:<file>, detached.
// Test-only differences, all from the environment: FAKE_ROOT prefixes /run and /var/lib, FAKE_SYSTEMD_DIR is where units are looked up,
// FAKE_NODE replaces /usr/bin/node-22, FAKE_ENV_OVERRIDES (a file of NAME=value lines) is applied
// last (loopback ports and local AWS endpoints), and the pid goes to FAKE_PID_FILE.
import { spawn, spawnSync } from 'node:child_process';
import { appendFileSync, existsSync, mkdirSync, openSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

const args = process.argv.slice(2);
appendFileSync(process.env.FAKE_LOG ?? '/dev/null', `systemctl ${args.join(' ')}\n`);
const [command, ...rest] = args.filter((arg) => arg !== '--no-block' && arg !== '--now');
if (command !== 'start' && !(command === 'enable' && args.includes('--now'))) process.exit(0);
const unitName = rest[0];
const unitPath = join(process.env.FAKE_SYSTEMD_DIR ?? '/etc/systemd/system', unitName);
if (!existsSync(unitPath)) process.exit(0); // logrotate.timer and other units of the real system

const settings = new Map();
for (const line of readFileSync(unitPath, 'utf8').split('\n')) {
  const match = /^([A-Za-z]+)=(.*)$/.exec(line);
  if (!match) continue;
  settings.set(match[1], [...(settings.get(match[1]) ?? []), match[2]]);
}
const one = (key) => settings.get(key)?.at(-1);

function readEnvironment() {
  const environment = {};
  const files = [...(settings.get('EnvironmentFile') ?? []), ...(process.env.FAKE_ENV_OVERRIDES ? [process.env.FAKE_ENV_OVERRIDES] : [])];
  for (const entry of files) {
    const optional = entry.startsWith('-');
    const file = optional ? entry.slice(1) : entry;
    if (!existsSync(file)) {
      if (optional) continue;
      console.error(`fake systemctl: ${file} is missing`);
      process.exit(1);
    }
    for (const line of readFileSync(file, 'utf8').split('\n')) {
      const match = /^([A-Za-z_][A-Za-z0-9_]*)=(.*)$/.exec(line);
      if (match) environment[match[1]] = match[2];
    }
  }
  return environment;
}

// systemd creates these before ExecStartPre (systemd.exec(5), RuntimeDirectory=, StateDirectory=)
const fakeRoot = process.env.FAKE_ROOT ?? '';
for (const name of settings.get('RuntimeDirectory') ?? []) mkdirSync(join(fakeRoot, '/run', name), { recursive: true, mode: 0o750 });
for (const name of settings.get('StateDirectory') ?? []) mkdirSync(join(fakeRoot, '/var/lib', name), { recursive: true, mode: 0o750 });

const base = { PATH: process.env.PATH, HOME: process.env.HOME ?? '/root' };
for (const pre of settings.get('ExecStartPre') ?? []) {
  const commandLine = pre.replace(/^[+\-!@]+/, '');
  const result = spawnSync('bash', ['-c', commandLine], { stdio: 'inherit', env: { ...process.env, ...readEnvironment() } });
  if (result.status !== 0) {
    console.error(`fake systemctl: ExecStartPre ${commandLine} failed with ${result.status}`);
    process.exit(1);
  }
}
const [binary, ...argv] = (one('ExecStart') ?? '').split(/\s+/).filter(Boolean);
const output = (one('StandardOutput') ?? '').replace(/^append:/, '');
const stdout = output ? openSync(output, 'a') : 'ignore';
const workingDirectory = one('WorkingDirectory')?.replace(/^-/, '');
const child = spawn(binary === '/usr/bin/node-22' ? (process.env.FAKE_NODE ?? process.execPath) : binary, argv, {
  cwd: workingDirectory && existsSync(workingDirectory) ? workingDirectory : '/',
  env: { ...base, ...readEnvironment() },
  stdio: ['ignore', stdout, stdout],
  detached: true,
});
if (process.env.FAKE_PID_FILE) writeFileSync(process.env.FAKE_PID_FILE, String(child.pid));
child.unref();
