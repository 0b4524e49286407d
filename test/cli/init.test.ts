import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { runCli } from '../helpers/exec.js';
import { testTempDir } from '../helpers/tmp.js';

// `healfix init` refusals: each is one line, exit 2, and leaves the folder as it was.
describe('healfix init', () => {
  it('without a terminal and without --yes: exit 2 with one line, nothing written', async () => {
    const dir = testTempDir('init-notty');
    const run = await runCli(['init'], { cwd: dir, env: { DATABASE_URL: 'postgres://u@127.0.0.1:1/d' } });
    expect(run.code).toBe(2);
    expect(run.stderr).toBe('healfix: healfix init asks on a terminal and there is none: re-run with --yes to take every detected value\n');
    expect(existsSync(join(dir, 'healfix.config.yaml'))).toBe(false);
  });

  it('an existing config without --force: exit 2 with one line, the file untouched', async () => {
    const dir = testTempDir('init-existing');
    writeFileSync(join(dir, 'healfix.config.yaml'), 'failOn: warn\n');
    const run = await runCli(['init', '--yes'], { cwd: dir, env: { DATABASE_URL: 'postgres://u@127.0.0.1:1/d' } });
    expect(run.code).toBe(2);
    expect(run.stderr).toBe('healfix: healfix.config.yaml already exists here: not overwriting it (--force replaces it)\n');
    expect(readFileSync(join(dir, 'healfix.config.yaml'), 'utf8')).toBe('failOn: warn\n');
  });

  it('--save-flow without --url: exit 2 with one line, nothing written', async () => {
    const dir = testTempDir('init-saveflow');
    const run = await runCli(['init', '--yes', '--save-flow', 'flow.yaml'], { cwd: dir, env: { DATABASE_URL: 'postgres://u@127.0.0.1:1/d' } });
    expect(run.code).toBe(2);
    expect(run.stderr).toBe('healfix: --save-flow saves the signup found at --url: give --url too\n');
    expect(existsSync(join(dir, 'healfix.config.yaml'))).toBe(false);
  });

  it('nothing detectable: exit 2, the ways to name a database as the hint; --json gets one error document', async () => {
    const dir = testTempDir('init-nothing');
    const run = await runCli(['init', '--yes'], { cwd: dir });
    expect(run.code).toBe(2);
    expect(run.stderr.split('\n')[0]).toBe('healfix: nothing to write: no database found here and no --url given');
    expect(run.stderr).toContain('DATABASE_URL=postgres://');
    expect(run.stderr).toContain('--url http://');
    expect(existsSync(join(dir, 'healfix.config.yaml'))).toBe(false);
    const json = await runCli(['init', '--yes', '--json'], { cwd: dir });
    expect(json.code).toBe(2);
    expect(JSON.parse(json.stdout)).toMatchObject({ command: 'init', ok: false, error: { code: 'config', message: 'nothing to write: no database found here and no --url given' } });
  });

  it('a URL with a password given by flag: the file names DATABASE_URL, holds no password, and the user is told to set it; an unreachable database is exit 1', async () => {
    const dir = testTempDir('init-flag');
    const run = await runCli(['init', '--yes', '-d', 'postgres://app:Sup3r-s3cret@127.0.0.1:1/appdb', '--connect-timeout', '2s'], { cwd: dir });
    expect(run.code, run.stdout + run.stderr).toBe(1);
    const text = readFileSync(join(dir, 'healfix.config.yaml'), 'utf8');
    expect(text).not.toContain('Sup3r-s3cret');
    expect(text).toMatch(/^databaseUrlEnv: DATABASE_URL$/m);
    expect(run.stdout).not.toContain('Sup3r-s3cret');
    expect(run.stdout).toContain('not reachable');
    expect(run.stdout).toContain('next: export DATABASE_URL');
  });
});
