import { spawn, spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { BIN } from '../helpers/exec.js';
import { testTempDir } from '../helpers/tmp.js';

// A real terminal for @inquirer/prompts: util-linux `script` runs healfix on a pseudo-terminal.
const hasScript = spawnSync('script', ['--version']).status === 0;
if (!hasScript) process.stderr.write('\n[healfix] SKIPPED init prompts: the `script` command (util-linux) is not installed\n');

/** Answers each prompt once its question has appeared on the terminal (never typed ahead of it). */
function onTerminal(cwd: string, env: Record<string, string>, answers: [RegExp, string][]): Promise<{ code: number | null; output: string }> {
  return new Promise((resolve, reject) => {
    const command = `${JSON.stringify(process.execPath)} ${JSON.stringify(BIN)} init`;
    const child = spawn('script', ['-qfec', command, '/dev/null'], { cwd, env: { PATH: process.env.PATH ?? '', HOME: process.env.HOME ?? '/tmp', NO_COLOR: '1', TERM: 'dumb', ...env } });
    let output = '';
    let next = 0;
    const timer = setTimeout(() => child.kill('SIGKILL'), 30_000);
    child.stdout.on('data', (d) => {
      output += d;
      while (next < answers.length && answers[next]![0].test(output)) {
        child.stdin.write(answers[next]![1]);
        next++;
      }
    });
    child.on('error', reject);
    child.on('close', (code) => {
      clearTimeout(timer);
      resolve({ code, output });
    });
  });
}

describe.skipIf(!hasScript)('healfix init on a terminal', () => {
  it('offers each detected value as the default and writes what the user answered', async () => {
    const dir = testTempDir('init-tty');
    const run = await onTerminal(dir, { DATABASE_URL: 'postgres://app:Pa55-word@127.0.0.1:1/appdb' }, [
      [/database URL \(empty: none\) \(DATABASE_URL\)/, 'APP_DB\r'],
      [/URL of the running app/, '\r'],
      [/doctor fails on/, '\u001b[B\r'], // arrow down: warn
    ]);
    expect(run.output).toMatch(/wrote .*healfix\.config\.yaml/);
    expect(run.code).toBe(1); // written; the database at port 1 did not answer, so not verified
    const text = readFileSync(join(dir, 'healfix.config.yaml'), 'utf8');
    expect(parse(text)).toEqual({ databaseUrlEnv: 'APP_DB', failOn: 'warn' });
    expect(text).not.toContain('Pa55-word');
  });
});
