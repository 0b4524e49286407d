import { existsSync, rmSync } from 'node:fs';
import { afterEach, describe, expect, it } from 'vitest';
import { runCli } from '../helpers/exec.js';
import { createSanaDb, plantSanaProblems, SANA_CODES, type SanaDb } from '../fixtures/sana.js';

const made: SanaDb[] = [];
afterEach(() => {
  for (const s of made.splice(0)) {
    s.close();
    rmSync(s.dir, { recursive: true, force: true });
  }
});
function planted(problems = true): SanaDb {
  const s = createSanaDb();
  if (problems) plantSanaProblems(s);
  made.push(s);
  return s;
}
const count = (s: SanaDb, table: string) => (s.db.prepare(`select count(*) as n from ${table}`).get() as { n: number }).n;
const noCodes = (text: string) => expect(text).not.toMatch(new RegExp(SANA_CODES.join('|')));

describe('healfix temp-registrations (CLI)', () => {
  it('exits 0 on a clean database', async () => {
    const s = planted(false);
    const r = await runCli(['temp-registrations', '-d', `sqlite:${s.path}`]);
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    expect(r.stdout).toContain('no problems');
  });

  it('exits 1 on problems, with next commands, never an OTP code or hash; the pending alias works', async () => {
    const s = planted();
    const r = await runCli(['pending', '-d', s.path]);
    expect(r.code).toBe(1);
    expect(r.stdout).toContain('3 live signup codes for alice@example.com');
    expect(r.stdout).toContain(`next: healfix temp-registrations --purge-expired --database-url sqlite:${s.path}`);
    noCodes(r.stdout + r.stderr);
    expect(r.stdout).not.toContain('pbkdf2');
  });

  it('--json prints one document with schemaVersion 1, codes masked', async () => {
    const s = planted();
    const r = await runCli(['temp-registrations', '-d', s.path, '--json', '--email', 'alice@example.com']);
    expect(r.code).toBe(1);
    const doc = JSON.parse(r.stdout);
    expect(doc).toMatchObject({ schemaVersion: 1, command: 'temp-registrations', ok: false });
    expect(doc.findings.length).toBeGreaterThanOrEqual(6);
    expect(doc.trace.otps[0].code).toMatch(/^\*+$/);
    noCodes(r.stdout + r.stderr);
  });

  it('--mask-emails masks addresses in human and JSON output', async () => {
    const s = planted();
    const human = await runCli(['temp-registrations', '-d', s.path, '--mask-emails']);
    expect(human.stdout).toContain('a****@example.com');
    expect(human.stdout).not.toContain('alice@example.com');
    const json = await runCli(['temp-registrations', '-d', s.path, '--mask-emails', '--json']);
    expect(json.stdout).not.toContain('alice@example.com');
    expect(JSON.parse(json.stdout).schemaVersion).toBe(1);
  });

  it('exits 2 on bad input: unknown table, bad mapping, --dry-run alone', async () => {
    const s = planted(false);
    const table = await runCli(['temp-registrations', '-d', s.path, '--table', 'signupz']);
    expect(table.code).toBe(2);
    expect(table.stderr).toContain('--table: no table "signupz"');
    expect(table.stderr).not.toMatch(/\n\s+at /);
    expect((await runCli(['temp-registrations', '-d', s.path, '--columns', 'email=nope'])).code).toBe(2);
    expect((await runCli(['temp-registrations', '-d', s.path, '--dry-run'])).code).toBe(2);
    const json = await runCli(['temp-registrations', '-d', s.path, '--otp-table', 'x', '--json']);
    expect(json.code).toBe(2);
    expect(JSON.parse(json.stdout)).toMatchObject({ schemaVersion: 1, ok: false, error: { message: expect.stringContaining('--otp-table') } });
  });

  it('--purge-expired without a terminal and without --yes exits 2 and deletes nothing; --dry-run shows the plan; --yes purges', async () => {
    const s = planted();
    const refused = await runCli(['temp-registrations', '-d', s.path, '--purge-expired']);
    expect(refused.code).toBe(2);
    expect(refused.stdout).toContain('delete from "temp_registrations"');
    expect(refused.stderr).toContain('refusing to write without confirmation');
    expect([count(s, 'temp_registrations'), count(s, 'user_otp')]).toEqual([4, 6]);

    // A dry run reports the state as it is: rows to purge → exit 1, and ok agrees with the exit code.
    const dry = await runCli(['temp-registrations', '-d', s.path, '--purge-expired', '--dry-run']);
    expect(dry.stdout).toContain('dry run');
    expect(dry.code).toBe(1);
    const dryJson = await runCli(['temp-registrations', '-d', s.path, '--purge-expired', '--dry-run', '--json']);
    expect(dryJson.code).toBe(1);
    expect(JSON.parse(dryJson.stdout)).toMatchObject({ ok: false, plan: { dryRun: true } });
    expect(count(s, 'temp_registrations')).toBe(4);

    const done = await runCli(['temp-registrations', '-d', s.path, '--purge-expired', '--yes', '--json']);
    expect(done.code).toBe(0);
    const doc = JSON.parse(done.stdout);
    expect(doc.applied).toEqual([{ table: 'temp_registrations', changed: 1 }, { table: 'user_otp', changed: 1 }]);
    // Re-read after the write: what is true now.
    expect(doc).toMatchObject({ ok: true, verified: { ok: true, message: 'no expired rows left in the purged tables (re-read after the write)' } });
    const nothing = await runCli(['temp-registrations', '-d', s.path, '--purge-expired', '--dry-run', '--json']);
    expect([nothing.code, JSON.parse(nothing.stdout).ok]).toEqual([0, true]);
    expect([count(s, 'temp_registrations'), count(s, 'user_otp')]).toEqual([3, 5]);
    expect(s.db.prepare("select count(*) as n from temp_registrations where email = 'bob@example.com'").get()).toEqual({ n: 0 });
    expect(existsSync(s.path)).toBe(true);
  });
});
