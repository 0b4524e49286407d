import { describe, expect, it } from 'vitest';
import { runCli } from '../helpers/exec.js';

describe('healfix binary', () => {
  it('prints help and version with exit 0', async () => {
    const help = await runCli(['--help']);
    expect(help.code).toBe(0);
    for (const command of ['doctor', 'sequences', 'temp-registrations', 'rate-limits', 'register-test', 'explain']) {
      expect(help.stdout).toContain(command);
    }
    const version = await runCli(['--version']);
    expect(version.code).toBe(0);
    expect(version.stdout.trim()).toMatch(/^\d+\.\d+\.\d+$/);
  });

  it('exits 2 with one line for unknown commands, unknown options and bad choices', async () => {
    const unknown = await runCli(['frobnicate']);
    expect(unknown.code).toBe(2);
    expect(unknown.stderr).toContain("unknown command 'frobnicate'");
    const badOption = await runCli(['doctor', '--frobnicate']);
    expect(badOption.code).toBe(2);
    expect(badOption.stderr).toContain("unknown option '--frobnicate'");
    const badChoice = await runCli(['doctor', '--fail-on', 'sometimes']);
    expect(badChoice.code).toBe(2);
    expect(badChoice.stderr).toContain('Allowed choices are warn, error');
    expect(badChoice.stderr).not.toMatch(/\n\s+at /);
  });

  it('explains every way to configure a database when none is given', async () => {
    const cwd = (await import('node:os')).tmpdir();
    const result = await runCli(['doctor'], { cwd });
    expect(result.code).toBe(2);
    expect(result.stdout).toBe('');
    expect(result.stderr).toContain('healfix: no database configured');
    expect(result.stderr).toContain('--database-url');
    expect(result.stderr).toContain('DB_HOST');
  });

  it('names host:port/database for a refused connection, never the password, and still prints one JSON document', async () => {
    const result = await runCli(['doctor', '--json', '-d', 'postgres://app:Sup3rSecretPw@127.0.0.1:1/shop']);
    expect(result.code).toBe(2);
    const doc = JSON.parse(result.stdout);
    expect(doc).toMatchObject({ schemaVersion: 1, command: 'doctor', ok: false });
    expect(doc.error.message).toBe('cannot connect to 127.0.0.1:1/shop: connection refused (is PostgreSQL running and listening on that port?)');
    expect(result.stdout + result.stderr).not.toContain('Sup3rSecretPw');
  });

  it('rejects a bad duration flag with exit 2', async () => {
    const result = await runCli(['doctor', '-d', 'postgres://u@127.0.0.1:1/x', '--lock-timeout', 'forever']);
    expect(result.code).toBe(2);
    expect(result.stderr).toContain('--lock-timeout must be a duration like 500ms, 30s or 2m, got "forever"');
  });
});
