import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { missing, startCluster, startStandby, waitForReplay, type Cluster } from '../helpers/clusters.js';
import { runCli } from '../helpers/exec.js';
import { PENDING_SIGNUPS, RATE_LIMITER_FLEXIBLE } from '../fixtures/pg-shapes.js';

// A real hot standby (pg_basebackup -R from a primary this test starts): every write command used to plan,
// then fail with "internal error" and a stack (cannot execute UPDATE in a read-only transaction).
const reason = missing('postgres');

describe.skipIf(Boolean(reason))(`hot standby${reason ? ` (skipped: ${reason})` : ''}`, () => {
  let primary: Cluster;
  let standby: Cluster;
  const counts = async () => {
    const { rows } = await primary.query<{ p: string; r: string; s: string }>(
      "select (select count(*) from pending_signups) as p, (select count(*) from rlflx) as r, (select last_value::text from users_id_seq) as s",
      [],
      'app',
    );
    return rows[0];
  };

  beforeAll(async () => {
    primary = await startCluster();
    await primary.query('create database app');
    await primary.query(`${PENDING_SIGNUPS}\n${RATE_LIMITER_FLEXIBLE}`, [], 'app');
    // A lagging sequence: rows inserted with explicit ids.
    await primary.query("create table users (id serial primary key, email text); insert into users (id, email) select g, 'u' || g from generate_series(1, 50) g", [], 'app');
    standby = await startStandby(primary);
    await waitForReplay(primary, standby);
  });
  afterAll(async () => {
    await standby?.stop();
    await primary?.stop();
  });

  const oneLine = (stderr: string) => {
    expect(stderr).toMatch(/is a hot standby \(in recovery\) and accepts no writes: nothing was changed/);
    expect(stderr).not.toMatch(/internal error|read-only transaction|^\s+at /m);
  };

  it('temp-registrations --purge-expired --yes: one line, exit 2, nothing attempted', async () => {
    const before = await counts();
    const r = await runCli(['temp-registrations', '-d', standby.url('app'), '--purge-expired', '--yes'], { timeoutMs: 30_000 });
    expect(r.code).toBe(2);
    oneLine(r.stderr);
    expect(r.stdout).not.toMatch(/delete from/i);
    expect(await counts()).toEqual(before);
  });

  it('rate-limits --unlock / --purge-expired / --clear --yes: one line, exit 2, under --json one document', async () => {
    for (const action of [['--purge-expired'], ['--clear', 'login_10.0.0.2'], ['--unlock', 'someone@example.com']]) {
      const r = await runCli(['rate-limits', '-d', standby.url('app'), ...action, '--yes'], { timeoutMs: 30_000 });
      expect(r.code, action.join(' ')).toBe(2);
      oneLine(r.stderr);
      const j = await runCli(['rate-limits', '-d', standby.url('app'), ...action, '--yes', '--json'], { timeoutMs: 30_000 });
      expect(j.code).toBe(2);
      const doc = JSON.parse(j.stdout);
      expect(doc.ok).toBe(false);
      expect(doc.error.message).toMatch(/hot standby/);
    }
  });

  it('sequences --fix --yes: refused before any plan, while a plain scan of the standby still works', async () => {
    const before = await counts();
    const r = await runCli(['sequences', '-d', standby.url('app'), '--fix', '--yes'], { timeoutMs: 30_000 });
    expect(r.code).toBe(2);
    oneLine(r.stderr);
    expect(r.stdout).not.toMatch(/setval|Repair/);
    expect(await counts()).toEqual(before);
    const scan = await runCli(['sequences', '-d', standby.url('app')], { timeoutMs: 30_000 });
    expect(scan.code).toBe(1);
    expect(scan.stdout).toContain('users_id_seq');
  });

  it('register-test --cleanup / --fix-sequences against the standby: refused before any request is sent', async () => {
    for (const flag of ['--cleanup', '--fix-sequences']) {
      // Port 9 (discard) is never contacted: the guard runs before the signup.
      const r = await runCli(['register-test', '--url', 'http://127.0.0.1:9', '-d', standby.url('app'), flag, '--yes'], { timeoutMs: 30_000 });
      expect(r.code, flag).toBe(2);
      oneLine(r.stderr);
    }
  });

  it('a session made read-only by default_transaction_read_only is refused the same way', async () => {
    await primary.query('alter database app set default_transaction_read_only = on');
    try {
      const r = await runCli(['rate-limits', '-d', primary.url('app'), '--purge-expired', '--yes'], { timeoutMs: 30_000 });
      expect(r.code).toBe(2);
      expect(r.stderr).toContain('read-only transactions (default_transaction_read_only = on): nothing was changed');
    } finally {
      await primary.query('alter database app reset default_transaction_read_only');
    }
  });
});
