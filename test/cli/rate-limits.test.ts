import { rmSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runCli } from '../helpers/exec.js';
import { createTestDatabase, describeDb, type TestDatabase } from '../helpers/db.js';
import { RATE_LIMITER_FLEXIBLE } from '../fixtures/pg-shapes.js';
import { createSanaDb, plantSanaProblems, type SanaDb } from '../fixtures/sana.js';

describe('healfix rate-limits on SANA (CLI)', () => {
  let s: SanaDb;
  beforeAll(() => {
    s = createSanaDb();
    plantSanaProblems(s);
  });
  afterAll(() => {
    s.close();
    rmSync(s.dir, { recursive: true, force: true });
  });

  it('says limits are in memory, lists the locked account, exits 1', async () => {
    const r = await runCli(['rate-limits', '-d', s.path]);
    expect(r.code).toBe(1);
    expect(r.stdout).toContain('no rate-limit table: the app keeps its request limits in process memory');
    expect(r.stdout).toContain('healfix register-test --url <app-url>');
    expect(r.stdout).toContain(`healfix rate-limits --unlock erin@example.com --database-url sqlite:${s.path}`);
    const json = JSON.parse((await runCli(['rate-limits', '-d', s.path, '--json'])).stdout);
    expect(json).toMatchObject({ schemaVersion: 1, command: 'rate-limits', ok: false, inMemoryOnly: true });
    expect(json.lockout.locked[0].account).toBe('erin@example.com');
    expect(json.writeTargets).toBeUndefined();
  });

  it('bad input exits 2: two actions at once, a bad --limit, an unknown account', async () => {
    expect((await runCli(['rate-limits', '-d', s.path, '--clear', 'a', '--purge-expired'])).code).toBe(2);
    expect((await runCli(['rate-limits', '-d', s.path, '--limit', 'lots'])).stderr).toContain('--limit must be a whole number');
    const r = await runCli(['rate-limits', '-d', s.path, '--unlock', 'nobody@example.com', '--yes']);
    expect(r.code).toBe(2);
    expect(r.stderr).toContain('no account "nobody@example.com"');
  });

  it('--unlock on an account that is not locked writes nothing and says so (exit 0, read just now)', async () => {
    const r = await runCli(['rate-limits', '-d', s.path, '--unlock', 'frank@example.com', '--yes', '--json']);
    expect(r.code).toBe(0);
    expect(JSON.parse(r.stdout)).toMatchObject({ ok: true, plan: { steps: [], note: 'frank@example.com is not locked' } });
    expect(s.db.prepare("select login_attempts from users where email = 'frank@example.com'").get()).toEqual({ login_attempts: 3 });
    const human = await runCli(['rate-limits', '-d', s.path, '--unlock', 'frank@example.com', '--dry-run']);
    expect([human.code, human.stdout.includes('Plan: nothing to change (frank@example.com is not locked).')]).toEqual([0, true]);
  });

  it('--setting names a framework setting; a typo is one line and exit 2, with JSON under --json', async () => {
    const r = await runCli(['rate-limits', '-d', s.path, '--setting', 'AXES_FAILURE_LIMT=5', '--json']);
    expect(r.code).toBe(2);
    expect(JSON.parse(r.stdout)).toMatchObject({ ok: false, error: { message: expect.stringContaining('unknown setting "AXES_FAILURE_LIMT"') } });
  });

  it('--unlock needs --yes without a terminal, then unlocks', async () => {
    const refused = await runCli(['rate-limits', '-d', s.path, '--unlock', 'erin@example.com']);
    expect(refused.code).toBe(2);
    expect(s.db.prepare("select login_attempts from users where email = 'erin@example.com'").get()).toEqual({ login_attempts: 5 });
    const done = await runCli(['rate-limits', '-d', s.path, '--unlock', 'erin@example.com', '--yes']);
    expect(done.code).toBe(0);
    expect(done.stdout).toContain('done: updated 1 row');
    expect(done.stdout).toContain('now: erin@example.com is no longer locked (re-read after the write)');
    expect(s.db.prepare("select login_attempts, locked_until from users where email = 'erin@example.com'").get()).toEqual({ login_attempts: 0, locked_until: null });
  });
});

describeDb('healfix rate-limits on PostgreSQL (CLI)', () => {
  let db: TestDatabase;
  beforeAll(async () => {
    db = await createTestDatabase('rl_cli');
    await db.query(RATE_LIMITER_FLEXIBLE);
  });
  afterAll(() => db.drop());

  it('--limit shows the blocked key, --clear --dry-run changes nothing, --clear --yes clears it', async () => {
    const r = await runCli(['rate-limits', '-d', db.url, '--limit', '3']);
    expect(r.code).toBe(1);
    expect(r.stdout).toMatch(/register_127\.0\.0\.1 is blocked for \d+ s more/);
    expect(r.stdout).toContain('healfix rate-limits --clear register_127.0.0.1');
    // A dry run reports the state as it is: a plan with something to do exits 1, and ok says the same.
    const dry = await runCli(['rate-limits', '-d', db.url, '--clear', 'register_127.0.0.1', '--dry-run']);
    expect(dry.code).toBe(1);
    const dryJson = await runCli(['rate-limits', '-d', db.url, '--clear', 'register_127.0.0.1', '--dry-run', '--json']);
    expect(dryJson.code).toBe(1);
    expect(JSON.parse(dryJson.stdout)).toMatchObject({ ok: false, plan: { dryRun: true, steps: [{ table: 'rlflx', rows: 1 }] } });
    expect((await db.query('select 1 from rlflx where key = $1', ['register_127.0.0.1'])).rowCount).toBe(1);
    const done = await runCli(['rate-limits', '-d', db.url, '--clear', 'register_127.0.0.1', '--yes', '--json']);
    expect(done.code).toBe(0);
    expect(JSON.parse(done.stdout)).toMatchObject({ ok: true, applied: [{ table: 'rlflx', changed: 1 }], verified: { ok: true } });
    expect((await db.query('select 1 from rlflx where key = $1', ['register_127.0.0.1'])).rowCount).toBe(0);
  });
});
