import { describe, expect, it } from 'vitest';
import { runCli } from '../helpers/exec.js';

// commander's own errors (unknown option, a value outside --choices, unknown command) happen before any
// healfix code runs: under --json they must still print exactly one document with a machine-readable code.
describe('usage errors under --json', () => {
  const cases: [string[], string, RegExp][] = [
    [['doctor', '--bogus', '--json'], 'doctor', /unknown option '--bogus'/],
    [['doctor', '--fail-on', 'bogus', '--json'], 'doctor', /--fail-on .*bogus/],
    [['register-test', '--profile', 'bogus', '--json'], 'register-test', /--profile .*bogus/],
    [['--bogus', '--json'], 'healfix', /unknown option '--bogus'/],
    [['no-such-command', '--json'], 'healfix', /unknown command/],
    [['sequences', '--json', '--statement-timeout'], 'sequences', /argument missing/],
  ];
  for (const [args, command, message] of cases) {
    it(`healfix ${args.join(' ')}: one JSON document, code "usage", exit 2`, async () => {
      const r = await runCli(args);
      expect(r.code).toBe(2);
      const doc = JSON.parse(r.stdout);
      expect(doc).toMatchObject({ schemaVersion: 1, command, ok: false, error: { code: 'usage' } });
      expect(doc.error.message).toMatch(message);
      expect(r.stderr.trim().split('\n')).toHaveLength(1);
    });
  }

  it('a healfix usage error carries the same code', async () => {
    const r = await runCli(['sequences', '--json', '--lock-timeout', 'soon', '-d', 'postgres://u@127.0.0.1:1/x']);
    expect(r.code).toBe(2);
    expect(JSON.parse(r.stdout).error).toMatchObject({ code: 'usage' });
  });

  it('a duration without a unit is refused with one line naming the choices', async () => {
    const r = await runCli(['sequences', '--lock-timeout', '3', '-d', 'postgres://u@127.0.0.1:1/x']);
    expect(r.code).toBe(2);
    expect(r.stderr.trim()).toBe('healfix: --lock-timeout needs a unit: 3ms, 3s or 3m, got "3"');
    const help = await runCli(['sequences', '--help']);
    expect(help.stdout).toMatch(/a unit is\s+required:\s+500ms,\s+30s,\s+2m/);
  });

  it('help and version under --json still exit 0', async () => {
    const help = await runCli(['doctor', '--help', '--json']);
    expect(help.code).toBe(0);
    expect(help.stdout).toMatch(/Usage: healfix doctor/);
    const version = await runCli(['--version', '--json']);
    expect(version.code).toBe(0);
    expect(version.stdout.trim()).toMatch(/^\d+\.\d+\.\d+/);
  });
});
