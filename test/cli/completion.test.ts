/**
 * `healfix completion` output loaded into the real shells: bash's completion function called the way bash
 * calls it (COMP_WORDS / COMP_CWORD), fish asked with `complete -C`, zsh loaded through compinit.
 */
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runCli } from '../helpers/exec.js';
import { testTempDir } from '../helpers/tmp.js';

const has = (shell: string) => spawnSync(shell, ['-c', 'exit 0']).status === 0;
function describeShell(shell: string) {
  if (has(shell)) return describe;
  process.stderr.write(`[healfix tests] SKIPPED ${shell} completion: ${shell} is not installed (Debian package ${shell}, in .ci/apt-packages)\n`);
  return describe.skip;
}

async function script(shell: string): Promise<string> {
  const r = await runCli(['completion', shell]);
  expect(r.code, r.stderr).toBe(0);
  expect(r.stderr).toBe('');
  return r.stdout;
}

describeShell('bash')('bash completion', () => {
  let file: string;
  let dir: string;
  beforeAll(async () => {
    const text = await script('bash');
    dir = mkdtempSync(join(tmpdir(), 'healfix-completion-'));
    file = join(dir, 'healfix.bash');
    writeFileSync(file, text);
  });
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  /** What bash offers for a command line whose last word is being completed. */
  function complete(line: string[]): string[] {
    const words = line.map((w) => `'${w.replace(/'/g, `'\\''`)}'`).join(' ');
    const program = `source '${file}'; COMP_WORDS=(${words}); COMP_CWORD=${line.length - 1}; _healfix; printf '%s\\n' "\${COMPREPLY[@]}"; complete -p healfix`;
    const r = spawnSync('bash', ['--norc', '--noprofile', '-c', program], { encoding: 'utf8' });
    expect(r.status, r.stderr).toBe(0);
    expect(r.stderr).toBe('');
    const lines = r.stdout.trim().split('\n');
    expect(lines.pop()).toBe('complete -o default -F _healfix healfix');
    return lines.filter(Boolean);
  }

  it('subcommands, then the options of the one typed, then the choices of an option', () => {
    expect(complete(['healfix', ''])).toEqual(['doctor', 'sequences', 'temp-registrations', 'rate-limits', 'register-test', 'explain', 'init', 'demo', 'completion', '--help', '--version']);
    expect(complete(['healfix', 'r'])).toEqual(['rate-limits', 'register-test']);
    expect(complete(['healfix', 're'])).toEqual(['register-test']);
    expect(complete(['healfix', 'doctor', '--fa'])).toEqual(['--fail-on']);
    expect(complete(['healfix', 'doctor', '--fail-on', ''])).toEqual(['warn', 'error']);
    expect(complete(['healfix', 'register-test', '--profile', ''])).toEqual(['auto', 'csrf-json', 'otp']);
    expect(complete(['healfix', 'sequences', '-d', 'x', '--reporter', 'g'])).toEqual(['github', 'gitlab']);
    expect(complete(['healfix', 'completion', ''])).toEqual(expect.arrayContaining(['bash', 'zsh', 'fish']));
    // Options of another command are not offered.
    expect(complete(['healfix', 'sequences', '--'])).not.toContain('--fail-on');
    expect(complete(['healfix', 'sequences', '--'])).toContain('--fix');
  });

  it('an option that takes a file completes file names', () => {
    const dir = testTempDir('completion-files');
    writeFileSync(join(dir, 'signup-flow.json'), '{}');
    expect(complete(['healfix', 'register-test', '--flow', join(dir, 'signup-')])).toEqual([join(dir, 'signup-flow.json')]);
  });
});

describeShell('fish')('fish completion', () => {
  it('fish itself completes subcommands, options and choices from the script', async () => {
    const file = join(testTempDir('completion-fish'), 'healfix.fish');
    writeFileSync(file, await script('fish'));
    const ask = (line: string) => {
      const r = spawnSync('fish', ['--no-config', '-c', `source '${file}'; complete -C '${line}'`], { encoding: 'utf8' });
      expect(r.status, r.stderr).toBe(0);
      return r.stdout.trim().split('\n').map((l) => l.split('\t')[0]);
    };
    expect(ask('healfix doc')).toEqual(['doctor']);
    expect(ask('healfix doctor --fail-on ').sort()).toEqual(['error', 'warn']);
    expect(ask('healfix sequences --dry')).toEqual(['--dry-run']);
  });
});

describeShell('zsh')('zsh completion', () => {
  it('parses, and compinit registers _healfix for healfix', async () => {
    const dir = testTempDir('completion-zsh');
    const file = join(dir, '_healfix');
    writeFileSync(file, await script('zsh'));
    const r = spawnSync('zsh', ['-f', '-c', `autoload -U compinit; compinit -u -d '${join(dir, 'zcompdump')}'; source '${file}'; print -r -- $_comps[healfix]; whence -w _healfix`], { encoding: 'utf8' });
    expect(r.stderr).toBe('');
    expect(r.stdout.trim().split('\n')).toEqual(['_healfix', '_healfix: function']);
  });
});

it('an unknown shell is a usage error (exit 2, one line)', async () => {
  const r = await runCli(['completion', 'tcsh']);
  expect(r.code).toBe(2);
  expect(r.stderr).toMatch(/Allowed choices are bash, zsh, fish/);
});
