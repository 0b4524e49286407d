import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { createTestDatabase, describeDb, dropRole, type TestDatabase } from '../helpers/db.js';
import { BIN, runCli } from '../helpers/exec.js';

const PASSWORD = 'Sup3r-s3cret-pw';

describeDb('healfix sequences (binary)', () => {
  let tdb: TestDatabase;
  let url: string;
  const role = `healfix_cli_${Math.random().toString(36).slice(2, 8)}`;

  beforeAll(async () => {
    tdb = await createTestDatabase('seqcli');
    await tdb.query(`create role ${role} login superuser password '${PASSWORD}'`);
    url = tdb.urlFor(role, PASSWORD);
  });
  afterAll(async () => {
    await tdb?.drop();
    await dropRole(role);
  });
  beforeEach(async () => {
    await tdb.query(`drop schema if exists public cascade; create schema public`);
    for (const table of ['notifications', 'audit_logs', 'alerts', 'chat_sessions']) {
      await tdb.query(`create table ${table} (id serial primary key, note text)`);
      await tdb.query(`insert into ${table} (id) select generate_series(1, 7)`);
    }
    await tdb.query(`create table healthy (id serial primary key); insert into healthy default values`);
  });

  /** Polls (up to 10 s) until a healfix session of this file's database waits on a lock. */
  const healfixWaitsOnALock = async (): Promise<boolean> => {
    for (let i = 0; i < 100; i++) {
      await new Promise((r) => setTimeout(r, 100));
      const { rows } = await tdb.query<{ n: string }>(`select count(*) as n from pg_stat_activity where application_name = 'healfix' and datname = current_database() and wait_event_type = 'Lock'`);
      if (Number(rows[0]?.n) > 0) return true;
    }
    return false;
  };

  const noSecret = (r: { stdout: string; stderr: string }) => {
    expect(r.stdout).not.toContain(PASSWORD);
    expect(r.stderr).not.toContain(PASSWORD);
  };

  it('exits 1 on lagging sequences, with the masked target, a table and the summary', async () => {
    const r = await runCli(['sequences', '--database-url', url]);
    expect(r.code).toBe(1);
    noSecret(r);
    expect(r.stdout).toContain(`:****@`);
    expect(r.stdout).toContain('(from --database-url)');
    expect(r.stdout).toContain('public.notifications_id_seq');
    expect(r.stdout).not.toContain('public.healthy_id_seq');
    expect(r.stdout).toContain('4 lagging sequences in 1 schema (5 checked)');
  });

  it('--json prints one parseable document', async () => {
    const r = await runCli(['sequences', '--json', '--all', '-d', url]);
    expect(r.code).toBe(1);
    noSecret(r);
    const doc = JSON.parse(r.stdout);
    expect(doc).toMatchObject({ schemaVersion: 1, command: 'sequences', ok: false, summary: { lagging: 4, checked: 5 } });
    expect(doc.target.display).toContain(':****@');
    expect(doc.findings).toHaveLength(5);
    expect(doc.findings.find((f: { sequence: string }) => f.sequence === 'public.alerts_id_seq')).toMatchObject({
      status: 'lagging', nextValue: '1', maxValue: '7', lag: '7', consumers: [{ schema: 'public', table: 'alerts', column: 'id' }],
    });
  });

  it('--fix without a terminal and without --yes exits 2 and changes nothing', async () => {
    const r = await runCli(['sequences', '--fix', '-d', url]);
    expect(r.code).toBe(2);
    noSecret(r);
    expect(r.stdout).toContain("select setval('\"public\".\"notifications_id_seq\"', 7, true);");
    expect(r.stderr).toMatch(/refusing to write without confirmation/);
    const { rows } = await tdb.query<{ v: string }>(`select last_value::text as v from notifications_id_seq`);
    expect(rows[0]?.v).toBe('1');
  });

  it('--fix --dry-run prints the plan and changes nothing; --dry-run alone is a usage error', async () => {
    const dry = await runCli(['sequences', '--fix', '--dry-run', '-d', url]);
    expect(dry.code).toBe(1);
    expect(dry.stdout).toContain('dry run');
    const { rows } = await tdb.query<{ c: boolean }>(`select is_called as c from notifications_id_seq`);
    expect(rows[0]?.c).toBe(false);
    const bad = await runCli(['sequences', '--dry-run', '-d', url]);
    expect(bad.code).toBe(2);
    expect(bad.stderr).toContain('--dry-run only makes sense with --fix');
  });

  it('--fix --yes repairs, prints before/after and exits 0; then a plain insert works and a rerun is clean', async () => {
    const r = await runCli(['sequences', '--fix', '--yes', '-d', url]);
    noSecret(r);
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/public\.notifications_id_seq\s*│\s*1\s*│\s*8\s*│\s*fixed/);
    expect(r.stdout).toContain('4 fixed.');
    expect(r.stdout).toContain('After: no lagging sequences (5 checked)');
    const { rows } = await tdb.query<{ id: number }>(`insert into notifications (note) values ('x') returning id`);
    expect(rows[0]?.id).toBe(8);
    const again = await runCli(['sequences', '-d', url]);
    expect(again.code).toBe(0);
    expect(again.stdout).toContain('no lagging sequences (5 checked)');
  });

  it('--fix --yes --json carries the fixes with before/after', async () => {
    const r = await runCli(['sequences', '--fix', '--yes', '--json', '-d', url]);
    expect(r.code).toBe(0);
    const doc = JSON.parse(r.stdout);
    expect(doc.ok).toBe(true);
    expect(doc.fixes).toHaveLength(4);
    expect(doc.fixes[0]).toMatchObject({ status: 'fixed', before: '1', after: '8' });
  });

  it('--json ends in one parseable document with the error when the server goes away mid-scan (exit 2)', async () => {
    // zz_locked sorts last: the batches before it (150 more lagging tables make several) are read and
    // written out while its read waits on the lock.
    await tdb.query(`do $$ begin for i in 100..249 loop
      execute format('create table bulk_%s (id serial primary key)', i);
      execute format('insert into bulk_%s (id) values (1)', i);
    end loop; end $$`);
    await tdb.query(`create table zz_locked (id serial primary key); insert into zz_locked (id) values (5)`);
    const holder = await tdb.connect();
    try {
      await holder.query('begin; lock table zz_locked in access exclusive mode');
      const run = runCli(['sequences', '--json', '--lock-timeout', '20s', '-d', url]);
      expect(await healfixWaitsOnALock()).toBe(true);
      // Only this file's database: other test files run healfix at the same time.
      await tdb.query(`select pg_terminate_backend(pid) from pg_stat_activity where application_name = 'healfix' and datname = current_database()`);
      const r = await run;
      expect(r.code).toBe(2);
      const doc = JSON.parse(r.stdout);
      expect(doc.ok).toBe(false);
      expect(doc.error.message).toMatch(/^lost the connection to .*: terminating connection due to administrator command/);
      const listed: string[] = doc.findings.map((f: { sequence: string }) => f.sequence);
      expect(listed.length).toBeGreaterThanOrEqual(50);
      expect(listed.slice(0, 3)).toEqual(['public.alerts_id_seq', 'public.audit_logs_id_seq', 'public.bulk_100_id_seq']);
      expect(listed).not.toContain('public.zz_locked_id_seq');
      expect(r.stderr).toMatch(/^healfix: lost the connection to /);
      expect(r.stderr).not.toMatch(/\n\s+at /);
      noSecret(r);
    } finally {
      await holder.query('rollback').catch(() => {});
      await holder.end();
    }
  });

  it('Ctrl-C during a scan stops it at once, even while a read waits on a lock: one JSON document, exit 2', async () => {
    // aa_locked sorts first: the scan's first read waits on the lock (for up to 30 s of lock timeout).
    await tdb.query(`create table aa_locked (id serial primary key); insert into aa_locked (id) values (5)`);
    const holder = await tdb.connect();
    try {
      await holder.query('begin; lock table aa_locked in access exclusive mode');
      const started = Date.now();
      const child = spawn(process.execPath, [BIN, 'sequences', '--json', '--lock-timeout', '30s', '-d', url], { env: { PATH: process.env.PATH ?? '', NO_COLOR: '1' } });
      let stdout = '';
      let stderr = '';
      child.stdout.on('data', (d) => (stdout += d));
      child.stderr.on('data', (d) => (stderr += d));
      const exited = new Promise<number | null>((resolve) => child.on('close', resolve));
      expect(await healfixWaitsOnALock()).toBe(true);
      child.kill('SIGINT');
      const code = await exited;
      expect(code).toBe(2);
      expect(Date.now() - started).toBeLessThan(20_000);
      const doc = JSON.parse(stdout);
      expect(doc).toMatchObject({ ok: false, error: { message: expect.stringMatching(/^interrupted: \d+ sequences? read before Ctrl-C, the rest not checked$/) } });
      expect(stderr).toContain('Stopping the scan');
      expect(stderr).not.toMatch(/\n\s+at /);
      // Nothing of healfix is left waiting on the server.
      const { rows } = await tdb.query<{ n: string }>(`select count(*) as n from pg_stat_activity where application_name = 'healfix' and datname = current_database()`);
      expect(Number(rows[0]?.n)).toBe(0);
    } finally {
      await holder.query('rollback').catch(() => {});
      await holder.end();
    }
  });

  it('a name that matches nothing is a usage error (exit 2, one line, one JSON document); so is an empty one', async () => {
    await tdb.query(`create table no_seq (id int primary key)`);
    const cases: [string[], RegExp][] = [
      [['--table', 'no_such_table'], /^healfix: --table no_such_table: no such table\n/],
      [['--schema', 'nope'], /^healfix: --schema nope: no such schema\n/],
      [['--table', ''], /^healfix: --table needs a name; an empty one would match everything\n/],
      [['--table', 'no_seq'], /^healfix: --table no_seq: it has no sequence-fed column \(no serial, identity or nextval\(\) default\), so there is nothing to check\n/],
    ];
    for (const [args, line] of cases) {
      const human = await runCli(['sequences', ...args, '-d', url]);
      expect(human.code, args.join(' ')).toBe(2);
      expect(human.stderr).toMatch(line);
      expect(human.stdout).toBe('');
      const json = await runCli(['sequences', ...args, '--json', '-d', url]);
      expect(json.code).toBe(2);
      expect(JSON.parse(json.stdout)).toMatchObject({ command: 'sequences', ok: false, error: { message: expect.stringMatching(/^--(table|schema) /) } });
    }
  });

  it('exits 2 when the server is unreachable', async () => {
    const down = await runCli(['sequences', '-d', `postgres://app:${PASSWORD}@127.0.0.1:1/db`]);
    expect(down.code).toBe(2);
    noSecret(down);
    expect(down.stderr).toContain('connection refused');
  });

  it('a table held by a long transaction is not verified: exit 1 with a lock hint, and --fix says what it left', async () => {
    const holder = await tdb.connect();
    try {
      await holder.query('begin; lock table notifications in access exclusive mode');
      const scan = await runCli(['sequences', '--lock-timeout', '1s', '-d', url]);
      expect(scan.code).toBe(1);
      expect(scan.stdout).toMatch(/public\.notifications_id_seq.*not verified/s);
      expect(scan.stdout).toContain('a transaction holds a lock on public.notifications');
      expect(scan.stdout).not.toContain('GRANT');
      expect(scan.stdout).toContain('3 lagging sequences in 1 schema, 1 not verified (5 checked)');

      const json = await runCli(['sequences', '--json', '--lock-timeout', '1s', '-d', url]);
      expect(json.code).toBe(1);
      const doc = JSON.parse(json.stdout);
      expect(doc.ok).toBe(false);
      expect(doc.findings.find((f: { sequence: string }) => f.sequence === 'public.notifications_id_seq')).toMatchObject({ status: 'skipped', reasonCode: 'lock_timeout', hint: expect.stringContaining('--lock-timeout') });

      const fix = await runCli(['sequences', '--fix', '--yes', '--lock-timeout', '1s', '-d', url]);
      expect(fix.code).toBe(1);
      // The locked one is in the plan, tried under the fix's own lock 3 times, then left: said so, exit 1.
      expect(fix.stdout).toMatch(/public\.notifications_id_seq\s*│\s*\(locked\)/);
      expect(fix.stdout).toMatch(/public\.notifications_id_seq.*lock-timeout/);
      expect(fix.stdout).toContain('not granted within lock_timeout in 3 attempts');
      expect(fix.stdout).toContain('3 fixed, 1 not fixed.');
      expect(fix.stdout).toContain('After: 1 not verified (5 checked)');
      expect(fix.stdout).toContain('Not done: 1 not verified; see the hints above.');
    } finally {
      await holder.query('rollback').catch(() => {});
      await holder.end();
    }
  });

  it('row-level security: a role that sees some rows gets "not verified" (exit 1), and --fix leaves the sequence alone', async () => {
    const reader = `${role}_rls`;
    await tdb.query(`create table notes (id serial primary key, author text not null)`);
    await tdb.query(`insert into notes (id, author) values (1, '${reader}'), (2, '${reader}'), (90, 'other')`);
    await tdb.query(`select setval('notes_id_seq', 10)`);
    await tdb.query(`alter table notes enable row level security; create policy own on notes using (author = current_user)`);
    await tdb.query(`create role ${reader} login password '${PASSWORD}'`);
    try {
      await tdb.query(`grant usage on schema public to ${reader}; grant select, insert on notes to ${reader}; grant usage, select, update on sequence notes_id_seq to ${reader}`);
      const readerUrl = tdb.urlFor(reader, PASSWORD);
      const scan = await runCli(['sequences', '--table', 'notes', '-d', readerUrl]);
      expect(scan.code).toBe(1);
      expect(scan.stdout).toContain('not verified');
      expect(scan.stdout).toContain('run as the table owner');
      expect(scan.stdout).not.toContain('no lagging sequences');
      const fix = await runCli(['sequences', '--fix', '--yes', '--table', 'notes', '-d', readerUrl]);
      expect(fix.code).toBe(1);
      expect(fix.stdout).toContain('Left out of the plan: 1 not verified');
      expect(fix.stdout).toContain('Nothing can be fixed safely.');
      const { rows } = await tdb.query<{ v: string }>(`select last_value::text as v from notes_id_seq`);
      expect(rows[0]?.v).toBe('10');
      noSecret(fix);
    } finally {
      await tdb.query(`drop owned by ${reader}`);
      await dropRole(reader);
    }
  });

  it('a dry run reports the state as it is: exit 1 and ok:false while there is work, exit 0 and ok:true when none', async () => {
    const pending = await runCli(['sequences', '--fix', '--dry-run', '--json', '-d', url]);
    const planned = JSON.parse(pending.stdout);
    expect(pending.code).toBe(1);
    expect(planned).toMatchObject({ ok: false, dryRun: true });
    expect(planned.fixes).toHaveLength(4);
    expect(planned.ok).toBe(pending.code === 0);
    expect((await runCli(['sequences', '--fix', '--yes', '-d', url])).code).toBe(0);
    const clean = await runCli(['sequences', '--fix', '--dry-run', '--json', '-d', url]);
    const nothing = JSON.parse(clean.stdout);
    expect(clean.code).toBe(0);
    expect(nothing.ok).toBe(clean.code === 0);
    expect(nothing.ok).toBe(true);
  });
});

describe('healfix sequences on an SQLite file (binary)', () => {
  let dir: string;
  let path: string;
  beforeAll(() => {
    dir = mkdtempSync(join(tmpdir(), 'healfix-seq-cli-'));
    path = join(dir, 'sana_toolkit.db');
    const db = new Database(path);
    db.exec(`create table users (id integer primary key autoincrement, email text);
      insert into users (email) values ('a'), ('b');
      update sqlite_sequence set seq = 0 where name = 'users';`);
    db.close();
  });
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it('reports a lagging sqlite_sequence (exit 1), fixes it with --fix --yes (exit 0)', async () => {
    const scan = await runCli(['sequences', '--json', '-d', `sqlite:${path}`]);
    expect(scan.code).toBe(1);
    const doc = JSON.parse(scan.stdout);
    expect(doc.findings[0]).toMatchObject({ sequence: 'sqlite_sequence[users]', status: 'lagging', maxValue: '2' });
    const refused = await runCli(['sequences', '--fix', '-d', path]);
    expect(refused.code).toBe(2);
    const fix = await runCli(['sequences', '--fix', '--yes', '-d', path]);
    expect(fix.code).toBe(0);
    expect(fix.stdout).toContain('1 fixed.');
    // SQLite's own locking in the plan, not PostgreSQL's table-lock wording.
    expect(fix.stdout).toContain('BEGIN IMMEDIATE');
    expect(fix.stdout).not.toContain('SHARE ROW EXCLUSIVE');
    const db = new Database(path, { readonly: true });
    expect(db.prepare(`select seq from sqlite_sequence where name = 'users'`).get()).toEqual({ seq: 2 });
    db.close();
  });
});
