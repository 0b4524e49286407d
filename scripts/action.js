#!/usr/bin/env node
// The step of the healfix GitHub Action (action.yml): runs one healfix command with the reporters asked for
// plus a JSON document in $RUNNER_TEMP, then writes the `ok`, `json` and `exit-code` outputs to
// $GITHUB_OUTPUT. A plain script, so a test can run it with the environment GitHub sets.
import { spawnSync } from 'node:child_process';
import { appendFileSync, existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';

const COMMANDS = ['doctor', 'sequences', 'temp-registrations', 'rate-limits', 'register-test'];

/** Inputs as action.yml passes them (INPUT_DATABASE_URL); a JavaScript action would spell them INPUT_DATABASE-URL. */
function input(name) {
  const upper = name.toUpperCase();
  return (process.env[`INPUT_${upper.replace(/-/g, '_')}`] ?? process.env[`INPUT_${upper}`] ?? '').trim();
}

function fail(message) {
  process.stdout.write(`::error title=healfix action::${message}\n`);
  process.exitCode = 2;
}

function main() {
  const command = input('command') || 'doctor';
  if (!COMMANDS.includes(command)) return fail(`command must be one of ${COMMANDS.join(', ')}, got "${command}"`);
  const temp = process.env.RUNNER_TEMP;
  if (!temp) return fail('RUNNER_TEMP is not set: run this inside GitHub Actions (or set it)');
  const jsonPath = join(temp, `healfix-${command}.json`);
  const args = [command, '--reporter', `json:${jsonPath}`];
  for (const r of (input('reporters') || 'github').split(/[\s,]+/).filter(Boolean)) args.push('--reporter', r);
  const url = input('url');
  const flow = input('flow');
  const failOn = input('fail-on');
  if (url) args.push('--url', url);
  if (flow) args.push('--flow', flow);
  if (failOn) {
    if (command !== 'doctor') return fail('fail-on applies to the doctor command only');
    args.push('--fail-on', failOn);
  }
  const env = { ...process.env };
  const databaseUrl = input('database-url');
  // The URL goes through the environment, never argv: a process listing or `set -x` would show argv.
  if (databaseUrl) {
    process.stdout.write(`::add-mask::${databaseUrl}\n`);
    env.DATABASE_URL = databaseUrl;
  }
  for (const key of Object.keys(env)) if (key.startsWith('INPUT_')) delete env[key];
  // HEALFIX_BIN: how to start healfix (action.yml: npx --yes healfix@VERSION; the tests: the built bin).
  const [bin, ...binArgs] = (process.env.HEALFIX_BIN || 'npx --yes healfix').split(' ').filter(Boolean);
  const run = spawnSync(bin, [...binArgs, ...args], { env, stdio: 'inherit' });
  const code = run.status ?? 2;
  let ok = false;
  if (existsSync(jsonPath)) {
    try {
      ok = JSON.parse(readFileSync(jsonPath, 'utf8')).ok === true;
    } catch {
      ok = false;
    }
  }
  const outputs = `ok=${ok}\njson=${jsonPath}\nexit-code=${code}\n`;
  if (process.env.GITHUB_OUTPUT) appendFileSync(process.env.GITHUB_OUTPUT, outputs);
  else process.stdout.write(outputs);
  process.exitCode = code;
}

main();
