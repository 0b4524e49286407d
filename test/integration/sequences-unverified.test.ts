import { afterAll, beforeAll, expect, it } from 'vitest';
import { hasProblems, scanSequences, sequencesCheckResult, unverifiedHint } from '../../src/checks/sequences.js';
import { findFilterProblem } from '../../src/checks/sequences-filters.js';
import { openPostgres, type PostgresDatabase } from '../../src/db/postgres.js';
import { fixSequences, planLockedRead, planSequenceFix } from '../../src/fix/sequences.js';
import { createTestDatabase, describeDb, dropRole, pgTarget, type TestDatabase } from '../helpers/db.js';

/**
 * "Never green without proof": every way a sequence can go unverified is a problem with its own reason
 * code and next step, and --fix never repairs from a max() it could not trust.
 */
describeDb('healfix sequences: what could not be verified', () => {
  let tdb: TestDatabase;
  let db: PostgresDatabase;
  const suffix = Math.random().toString(36).slice(2, 8);
  const reader = `healfix_rls_reader_${suffix}`;
  const owner = `healfix_rls_owner_${suffix}`;
  const roles = [reader, owner];

  beforeAll(async () => {
    tdb = await createTestDatabase('sequnver');
    db = await openPostgres(pgTarget(tdb.url), { maxConnections: 2, lockTimeoutMs: 300 });
    for (const role of roles) await tdb.query(`create role ${role} login password 'pw-${role}'`);
  });
  afterAll(async () => {
    await db?.close();
    for (const role of roles) await tdb?.query(`drop owned by ${role}`).catch(() => {});
    await tdb?.drop();
    for (const role of roles) await dropRole(role);
  });

  const asRole = (role: string) => openPostgres(pgTarget(tdb.urlFor(role, `pw-${role}`)), { maxConnections: 2, lockTimeoutMs: 300 });

  it('a table held by a long transaction: lock_timeout, a problem (not green), a hint about the lock, not a GRANT', async () => {
    await tdb.query(`create table held_scan (id serial primary key); insert into held_scan (id) values (5)`);
    const holder = await tdb.connect();
    await holder.query(`begin; lock table held_scan in access exclusive mode`);
    try {
      const scan = await scanSequences(db, { tables: ['held_scan'] });
      const f = scan.findings[0]!;
      expect(f).toMatchObject({ status: 'skipped', reasonCode: 'lock_timeout' });
      expect(hasProblems(scan)).toBe(true);
      expect(unverifiedHint(f)).toMatch(/a transaction holds a lock on public\.held_scan/);
      expect(unverifiedHint(f)).not.toMatch(/GRANT/);
      const check = sequencesCheckResult(scan);
      expect(check.status).toBe('error');
      expect(check.findings[0]).toMatchObject({ severity: 'error', data: { reasonCode: 'lock_timeout' } });
    } finally {
      await holder.query('rollback');
    }
  });

  it('a statement cancelled by statement_timeout is statement_timeout, with its own next step', async () => {
    await tdb.query(`create table slow_t (id serial primary key); insert into slow_t (id) values (5)`);
    // The read waits on the lock longer than statement_timeout allows (lock_timeout is longer): SQLSTATE 57014.
    const slow = await openPostgres(pgTarget(tdb.url), { maxConnections: 2, lockTimeoutMs: 60_000, statementTimeoutMs: 1_500 });
    const holder = await tdb.connect();
    await holder.query(`begin; lock table slow_t in access exclusive mode`);
    try {
      const scan = await scanSequences(slow, { tables: ['slow_t'] });
      expect(scan.findings[0]).toMatchObject({ status: 'skipped', reasonCode: 'statement_timeout' });
      expect(unverifiedHint(scan.findings[0]!)).toMatch(/longer than --statement-timeout/);
      expect(hasProblems(scan)).toBe(true);
    } finally {
      await holder.query('rollback');
      await slow.close();
    }
  });

  it('no USAGE on the schema is schema_usage, and the hint grants USAGE, not SELECT', async () => {
    await tdb.query(`create schema hidden; create table hidden.t (id serial primary key); insert into hidden.t (id) values (3)`);
    await tdb.query(`grant select on hidden.t to ${reader}; grant select on all sequences in schema hidden to ${reader}`);
    const limited = await asRole(reader);
    try {
      const scan = await scanSequences(limited, { schemas: ['hidden'] });
      expect(scan.findings[0]).toMatchObject({ status: 'skipped', reasonCode: 'schema_usage' });
      expect(unverifiedHint(scan.findings[0]!)).toMatch(/GRANT USAGE ON SCHEMA hidden/);
      expect(hasProblems(scan)).toBe(true);
    } finally {
      await limited.close();
    }
  });

  it('no SELECT on the table is permission_denied', async () => {
    await tdb.query(`create table closed_t (id serial primary key); insert into closed_t (id) values (3)`);
    await tdb.query(`grant usage on schema public to ${reader}; grant select on all sequences in schema public to ${reader}`);
    const limited = await asRole(reader);
    try {
      const scan = await scanSequences(limited, { tables: ['closed_t'] });
      expect(scan.findings[0]).toMatchObject({ status: 'skipped', reasonCode: 'permission_denied' });
      expect(unverifiedHint(scan.findings[0]!)).toMatch(/GRANT SELECT/);
    } finally {
      await limited.close();
    }
  });

  it('row-level security: a role that sees some rows is not verifiable, and --fix does not repair from its partial max', async () => {
    // The reader sees only its own rows (ids up to 10); the table's max is 100. The sequence is at 20:
    // healthy for the reader's view, lagging for the table.
    await tdb.query(`create table notes_rls (id serial primary key, author text not null)`);
    await tdb.query(`insert into notes_rls (id, author) select g, '${reader}' from generate_series(1, 10) g`);
    await tdb.query(`insert into notes_rls (id, author) values (100, 'someone_else')`);
    await tdb.query(`select setval('notes_rls_id_seq', 20)`);
    await tdb.query(`alter table notes_rls enable row level security; create policy own on notes_rls using (author = current_user)`);
    await tdb.query(`grant select, insert on notes_rls to ${reader}; grant usage, select, update on sequence notes_rls_id_seq to ${reader}`);
    const limited = await asRole(reader);
    try {
      const scan = await scanSequences(limited, { tables: ['notes_rls'] });
      const f = scan.findings[0]!;
      expect(f).toMatchObject({ status: 'skipped', reasonCode: 'row_level_security' });
      expect(unverifiedHint(f)).toMatch(/run as the table owner .*BYPASSRLS/);
      expect(hasProblems(scan)).toBe(true);
      expect(planSequenceFix(f)).toBeNull();
      const outcomes = await fixSequences(limited, scan.findings);
      expect(outcomes[0]).toMatchObject({ status: 'skipped' });
      const seq = await tdb.query<{ v: string }>(`select last_value::text as v from notes_rls_id_seq`);
      expect(seq.rows[0]?.v).toBe('20');
    } finally {
      await limited.close();
    }
    // The superuser sees every row: the truth, lagging.
    const whole = await scanSequences(db, { tables: ['notes_rls'] });
    expect(whole.findings[0]).toMatchObject({ status: 'lagging', dataMax: '100' });
  });

  it('row-level security and the owner: verified without FORCE, not verifiable with FORCE ROW LEVEL SECURITY', async () => {
    await tdb.query(`create table owned_rls (id serial primary key, author text not null)`);
    await tdb.query(`insert into owned_rls (id, author) values (1, 'a'), (50, 'b')`);
    await tdb.query(`alter table owned_rls owner to ${owner}; alter sequence owned_rls_id_seq owner to ${owner}`);
    await tdb.query(`grant usage on schema public to ${owner}`);
    await tdb.query(`alter table owned_rls enable row level security; create policy only_a on owned_rls using (author = 'a')`);
    const asOwner = await asRole(owner);
    try {
      const plain = await scanSequences(asOwner, { tables: ['owned_rls'] });
      expect(plain.findings[0]).toMatchObject({ status: 'lagging', dataMax: '50' });
      await tdb.query(`alter table owned_rls force row level security`);
      const forced = await scanSequences(asOwner, { tables: ['owned_rls'] });
      expect(forced.findings[0]).toMatchObject({ status: 'skipped', reasonCode: 'row_level_security' });
    } finally {
      await asOwner.close();
    }
  });

  it('--fix retries a refused lock with short waits, and repairs once the holder lets go', async () => {
    await tdb.query(`create table brief_hold (id serial primary key); insert into brief_hold (id) values (1), (2)`);
    const scan = await scanSequences(db, { tables: ['brief_hold'] });
    expect(scan.findings[0]?.status).toBe('lagging');
    const holder = await tdb.connect();
    await holder.query(`begin; insert into brief_hold (id) values (3)`);
    // Released after the first attempt (lock_timeout 300 ms) has been refused, before the last one.
    const release = new Promise((resolve) => setTimeout(resolve, 450)).then(() => holder.query('rollback'));
    const outcomes = await fixSequences(db, scan.findings);
    await release;
    expect(outcomes[0]).toMatchObject({ status: 'fixed', after: '3' });
    const { rows } = await tdb.query<{ id: number }>(`insert into brief_hold default values returning id`);
    expect(rows[0]?.id).toBe(3);
  });

  it('--fix reads a sequence the scan found locked under its own lock, and repairs it once the holder lets go', async () => {
    await tdb.query(`create table locked_scan (id serial primary key); insert into locked_scan (id) values (1), (7)`);
    const holder = await tdb.connect();
    await holder.query(`begin; lock table locked_scan in access exclusive mode`);
    let released: Promise<unknown> | undefined;
    try {
      const scan = await scanSequences(db, { tables: ['locked_scan'] });
      expect(scan.findings[0]).toMatchObject({ status: 'skipped', reasonCode: 'lock_timeout' });
      expect(planSequenceFix(scan.findings[0]!)).toBeNull();
      expect(planLockedRead(scan.findings[0]!)).not.toBeNull();
      released = new Promise((resolve) => setTimeout(resolve, 450)).then(() => holder.query('rollback'));
      const outcomes = await fixSequences(db, scan.findings);
      expect(outcomes[0]).toMatchObject({ status: 'fixed', before: '1', after: '8' });
    } finally {
      await (released ?? holder.query('rollback'));
    }
    const { rows } = await tdb.query<{ id: number }>(`insert into locked_scan default values returning id`);
    expect(rows[0]?.id).toBe(8);
  });

  it('--table and --schema that name nothing to check are reported precisely', async () => {
    await tdb.query(`create table plain_t (id int primary key)`);
    expect(await findFilterProblem(db, { tables: ['no_such_table'] })).toMatchObject({ message: '--table no_such_table: no such table' });
    expect(await findFilterProblem(db, { schemas: ['nope'] })).toMatchObject({ message: '--schema nope: no such schema' });
    expect((await findFilterProblem(db, { tables: ['plain_t'] }))?.message).toMatch(/^--table plain_t: it has no sequence-fed column/);
    expect(await findFilterProblem(db, { tables: ['public.brief_hold'] })).toBeUndefined();
    expect(await findFilterProblem(db, { schemas: ['public'], tables: ['brief_hold'] })).toBeUndefined();
    expect((await findFilterProblem(db, { schemas: ['hidden'], tables: ['brief_hold'] }))?.message).toMatch(/matches --schema hidden --table brief_hold together/);
  });
});
