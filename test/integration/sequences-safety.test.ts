import { afterAll, beforeAll, expect, it } from 'vitest';
import { openDiscovery, scanSequences } from '../../src/checks/sequences.js';
import { openPostgres, withClient, type PostgresDatabase } from '../../src/db/postgres.js';
import { fixSequences } from '../../src/fix/sequences.js';
import { createTestDatabase, describeDb, dropRole, type TestDatabase, pgTarget } from '../helpers/db.js';

describeDb('healfix sequences: safety, privileges, scale', () => {
  let tdb: TestDatabase;
  let db: PostgresDatabase;
  const role = `healfix_noread_${Math.random().toString(36).slice(2, 8)}`;

  beforeAll(async () => {
    tdb = await createTestDatabase('seqsafe');
    db = await openPostgres(pgTarget(tdb.url), { maxConnections: 2, lockTimeoutMs: 300 });
  });
  afterAll(async () => {
    await db?.close();
    await tdb?.query(`drop owned by ${role}`).catch(() => {});
    await tdb?.drop();
    await dropRole(role);
  });

  it("repairs the seed report's four tables; a plain insert then succeeds; a second run changes nothing", async () => {
    // As in the Healing Space report: rows inserted with explicit ids, sequences left at 1.
    for (const table of ['notifications', 'audit_logs', 'alerts', 'chat_sessions']) {
      await tdb.query(`create table ${table} (id serial primary key, username text, created_at timestamptz default now())`);
      await tdb.query(`insert into ${table} (id, username) select g, 'user' || g from generate_series(1, 12) g`);
    }
    const failure = await tdb.query(`insert into notifications (username) values ('x')`).catch((e: Error) => e);
    expect((failure as Error).message).toMatch(/duplicate key value violates unique constraint "notifications_pkey"/);

    const scan = await scanSequences(db, { tables: ['notifications', 'audit_logs', 'alerts', 'chat_sessions'] });
    expect(scan.findings.map((f) => [f.sequence, f.status, f.nextValue, f.dataMax])).toEqual([
      ['public.alerts_id_seq', 'lagging', '1', '12'],
      ['public.audit_logs_id_seq', 'lagging', '1', '12'],
      ['public.chat_sessions_id_seq', 'lagging', '1', '12'],
      // The failed insert above consumed 1, as every retry does in the report.
      ['public.notifications_id_seq', 'lagging', '2', '12'],
    ]);
    const outcomes = await fixSequences(db, scan.findings);
    expect(outcomes.map((o) => [o.sequence, o.status, o.after])).toEqual([
      ['public.alerts_id_seq', 'fixed', '13'],
      ['public.audit_logs_id_seq', 'fixed', '13'],
      ['public.chat_sessions_id_seq', 'fixed', '13'],
      ['public.notifications_id_seq', 'fixed', '13'],
    ]);
    const { rows } = await tdb.query<{ id: number }>(`insert into notifications (username) values ('new') returning id`);
    expect(rows[0]?.id).toBe(13);

    const again = await scanSequences(db, { tables: ['notifications', 'audit_logs', 'alerts', 'chat_sessions'] });
    expect(again.findings.every((f) => f.status === 'ok')).toBe(true);
    expect((await fixSequences(db, again.findings)).every((o) => o.status === 'unchanged')).toBe(true);
    const seq = await tdb.query<{ v: string }>(`select last_value::text as v from notifications_id_seq`);
    expect(seq.rows[0]?.v).toBe('13');
  });

  it('gives up on a locked table within lock_timeout, reports lock-timeout, and fixes the others', async () => {
    await tdb.query(`create table held (id serial primary key); insert into held (id) values (1), (2)`);
    await tdb.query(`create table free_t (id serial primary key); insert into free_t (id) values (1), (2)`);
    const holder = await tdb.connect();
    await holder.query(`begin; insert into held (id) values (3)`); // ROW EXCLUSIVE, held open
    try {
      const scan = await scanSequences(db, { tables: ['held', 'free_t'] });
      const started = Date.now();
      const outcomes = await fixSequences(db, scan.findings);
      // Three attempts of 300 ms with 200 and 500 ms between them: writers never queue longer than one.
      expect(Date.now() - started).toBeLessThan(4_000);
      expect(outcomes.find((o) => o.sequence === 'public.held_id_seq')).toMatchObject({ status: 'lock-timeout', before: '1', after: '1' });
      expect(outcomes.find((o) => o.sequence === 'public.held_id_seq')?.reason).toMatch(/in 3 attempts/);
      expect(outcomes.find((o) => o.sequence === 'public.free_t_id_seq')).toMatchObject({ status: 'fixed', after: '3' });
      const seq = await tdb.query<{ v: string; c: boolean }>(`select last_value::text as v, is_called as c from held_id_seq`);
      expect(seq.rows[0]).toEqual({ v: '1', c: false });
    } finally {
      await holder.query('rollback');
    }
  });

  it('never moves a sequence back on a stale finding while other sessions insert (no duplicate key)', async () => {
    await tdb.query(`create table busy (id serial primary key, note text); insert into busy (id) select generate_series(1, 1000)`);
    await tdb.query(`create table busy2 (id serial primary key); insert into busy2 (id) select generate_series(1, 500)`);
    const stale = await scanSequences(db, { tables: ['busy', 'busy2'] });
    expect(stale.findings.map((f) => f.status)).toEqual(['lagging', 'lagging']);
    // Someone repairs busy by hand and the app starts inserting; our findings are now stale.
    await tdb.query(`select setval('busy_id_seq', 1000)`);
    const writer = await tdb.connect();
    let stop = false;
    const errors: string[] = [];
    let inserted = 0;
    const writing = (async () => {
      while (!stop) {
        try {
          await writer.query(`insert into busy (note) values ('w')`);
          inserted++;
        } catch (error) {
          errors.push((error as Error).message);
        }
      }
    })();
    await new Promise((r) => setTimeout(r, 50));
    const outcomes = await fixSequences(db, stale.findings);
    await new Promise((r) => setTimeout(r, 50));
    stop = true;
    await writing;
    expect(errors).toEqual([]);
    expect(inserted).toBeGreaterThan(0);
    expect(outcomes.find((o) => o.sequence === 'public.busy_id_seq')).toMatchObject({ status: 'unchanged', reason: 'no longer lagging' });
    expect(outcomes.find((o) => o.sequence === 'public.busy2_id_seq')).toMatchObject({ status: 'fixed', after: '501' });
    const { rows } = await tdb.query<{ n: string }>(`select count(*)::text as n from busy`);
    expect(Number(rows[0]?.n)).toBe(1000 + inserted);
  });

  it('stops between sequences when aborted: what ran is complete, the rest untouched', async () => {
    const names = ['ab1', 'ab2', 'ab3', 'ab4', 'ab5', 'ab6'];
    for (const n of names) await tdb.query(`create table ${n} (id serial primary key); insert into ${n} (id) values (5)`);
    const scan = await scanSequences(db, { tables: names });
    const controller = new AbortController();
    const outcomes = await fixSequences(db, scan.findings, { signal: controller.signal, onProgress: () => controller.abort() });
    const fixed = outcomes.filter((o) => o.status === 'fixed').map((o) => o.sequence);
    const skipped = outcomes.filter((o) => o.status === 'skipped').map((o) => o.sequence);
    // At most one sequence per connection was in flight when the signal came.
    expect(fixed.length).toBeGreaterThanOrEqual(1);
    expect(fixed.length).toBeLessThanOrEqual(2);
    expect(fixed.length + skipped.length).toBe(names.length);
    expect(outcomes.find((o) => o.status === 'skipped')?.reason).toBe('interrupted before this sequence');
    const after = await scanSequences(db, { tables: names });
    for (const f of after.findings) expect(f.status).toBe(fixed.includes(f.sequence) ? 'ok' : 'lagging');
  });

  it('skips what the role cannot read, with the reason, and checks the rest', async () => {
    await tdb.query(`create table secret_t (id serial primary key); insert into secret_t (id) values (9)`);
    await tdb.query(`create table open_t (id serial primary key); insert into open_t (id) values (9)`);
    await tdb.query(`create role ${role} login password 'r3ader-pw'`);
    await tdb.query(`grant select on open_t to ${role}; grant select on all sequences in schema public to ${role}`);
    const limited = await openPostgres(pgTarget(tdb.urlFor(role, 'r3ader-pw')), { maxConnections: 2 });
    try {
      const scan = await scanSequences(limited, { tables: ['secret_t', 'open_t'] });
      expect(scan.findings.find((f) => f.name === 'open_t_id_seq')).toMatchObject({ status: 'lagging', dataMax: '9' });
      const secret = scan.findings.find((f) => f.name === 'secret_t_id_seq');
      expect(secret?.status).toBe('skipped');
      expect(secret?.reason).toMatch(/permission denied.*secret_t/);
      expect(secret?.reasonCode).toBe('permission_denied');
      expect(scan.skipped).toBe(1);
      // Without UPDATE rights the fix reports permission-denied for that sequence and goes on.
      const outcomes = await fixSequences(limited, scan.findings);
      expect(outcomes.find((o) => o.sequence === 'public.open_t_id_seq')?.status).toBe('permission-denied');
      expect(outcomes.find((o) => o.sequence === 'public.secret_t_id_seq')?.status).toBe('skipped');
    } finally {
      await limited.close();
    }
  });

  it('falls back to one sequence at a time when a batch fails, so one bad table hides nothing', async () => {
    await tdb.query(`create table locked_t (id serial primary key); insert into locked_t (id) values (4)`);
    await tdb.query(`create table neighbour_t (id serial primary key); insert into neighbour_t (id) values (4)`);
    const holder = await tdb.connect();
    await holder.query(`begin; lock table locked_t in access exclusive mode`);
    try {
      const scan = await scanSequences(db, { tables: ['locked_t', 'neighbour_t'] });
      expect(scan.findings.find((f) => f.name === 'neighbour_t_id_seq')).toMatchObject({ status: 'lagging', dataMax: '4' });
      const locked = scan.findings.find((f) => f.name === 'locked_t_id_seq');
      expect(locked?.status).toBe('skipped');
      expect(locked?.reason).toMatch(/lock timeout|55P03/);
      expect(locked?.reasonCode).toBe('lock_timeout');
    } finally {
      await holder.query('rollback');
    }
  });

  it('scans and fixes a few hundred tables in batches', async () => {
    await tdb.query(`create schema bulk`);
    await tdb.query(`do $$ begin for i in 1..300 loop
      execute format('create table bulk.t%s (id serial primary key)', i);
      execute format('insert into bulk.t%s (id) values (%s)', i, i);
    end loop; end $$`);
    const progress: [number, number][] = [];
    const scan = await scanSequences(db, { schemas: ['bulk'], onProgress: (done, total) => progress.push([done, total]) });
    expect(scan.checked).toBe(300);
    expect(scan.findings.filter((f) => f.status === 'lagging')).toHaveLength(300);
    expect(scan.findings.find((f) => f.name === 't250_id_seq')?.dataMax).toBe('250');
    // Progress counts sequence-fed columns of the whole database (the filter applies after discovery) and ends at the total.
    const [done, total] = progress.at(-1)!;
    expect(total).toBeGreaterThanOrEqual(300);
    expect(done).toBe(total);
    expect(progress.map(([d]) => d)).toEqual([...progress.map(([d]) => d)].sort((a, b) => a - b));
    const outcomes = await fixSequences(db, scan.findings);
    expect(outcomes.every((o) => o.status === 'fixed')).toBe(true);
    const after = await scanSequences(db, { schemas: ['bulk'] });
    expect(after.findings.every((f) => f.status === 'ok')).toBe(true);
  });

  it('streams findings in report order across discovery fetches, a shared sequence kept whole, without holding them', async () => {
    await tdb.query(`create schema stream`);
    // stream.shared feeds three tables whose discovery rows straddle fetches of 2 rows; t1..t6 have their own.
    await tdb.query(`create sequence stream.shared`);
    for (const t of ['a', 'b', 'c']) {
      await tdb.query(`create table stream.s_${t} (id bigint primary key default nextval('stream.shared'))`);
      await tdb.query(`insert into stream.s_${t} (id) values (${t === 'b' ? 40 : 5})`);
    }
    await tdb.query(`do $$ begin for i in 1..6 loop
      execute format('create table stream.t%s (id serial primary key)', i);
      execute format('insert into stream.t%s (id) values (%s)', i, i * 10);
    end loop; end $$`);
    const whole = await scanSequences(db, { schemas: ['stream'] });
    const streamed: string[] = [];
    const lean = await scanSequences(db, {
      schemas: ['stream'],
      fetchRows: 2,
      batchSize: 3,
      keepFindings: false,
      onFinding: (f) => streamed.push(`${f.sequence} ${f.status} ${f.dataMax} ${f.consumers.map((c) => c.table).join('+')}`),
    });
    expect(lean.findings).toEqual([]);
    expect(lean.tally).toMatchObject({ checked: 7, lagging: 7 });
    expect(lean.batches).toBeGreaterThan(3);
    expect(streamed).toEqual(whole.findings.map((f) => `${f.sequence} ${f.status} ${f.dataMax} ${f.consumers.map((c) => c.table).join('+')}`));
    expect(streamed[0]).toBe('stream.shared lagging 40 s_a+s_b+s_c');
    expect(streamed.slice(1)).toEqual([1, 2, 3, 4, 5, 6].map((i) => `stream.t${i}_id_seq lagging ${i * 10} t${i}`));
  });

  it('goes on from the same row when the discovery cursor vanishes, as behind a pooler in transaction mode', async () => {
    await tdb.query(`create schema vanish`);
    await tdb.query(`do $$ begin for i in 1..7 loop execute format('create table vanish.t%s (id serial primary key)', i); end loop; end $$`);
    const key = (r: { seq_oid: string; table_schema: string; table_name: string; column_name: string }) => `${r.seq_oid} ${r.table_schema}.${r.table_name}.${r.column_name}`;
    const readAll = async (vanishAfter?: number) =>
      withClient(db, async (client) => {
        const cursor = await openDiscovery(client, 3);
        const keys: string[] = [];
        for (let rows = await cursor.fetch(); rows.length; rows = await cursor.fetch()) {
          keys.push(...rows.map(key));
          if (keys.length === vanishAfter) await client.query(`close ${cursor.name}`);
          if (rows.length < 3) break;
        }
        await cursor.close();
        return { total: cursor.total, keys };
      });
    const whole = await readAll();
    const cut = await readAll(3);
    expect(whole.keys.length).toBe(whole.total);
    expect(whole.keys.filter((k) => k.includes(' vanish.'))).toHaveLength(7);
    expect(cut.keys).toEqual(whole.keys);
  });
});
