import { afterAll, beforeAll, expect, it } from 'vitest';
import { scanSequences } from '../../src/checks/sequences.js';
import { openPostgres, type PostgresDatabase } from '../../src/db/postgres.js';
import { fixSequences } from '../../src/fix/sequences.js';
import { createTestDatabase, describeDb, pgTarget, type TestDatabase } from '../helpers/db.js';

/** The server-side loop of --fix (sequences-batch.ts): its guarantees, observed from outside. */
describeDb('healfix sequences --fix: many sequences per round trip', () => {
  let tdb: TestDatabase;
  let db: PostgresDatabase;
  let scanDb: PostgresDatabase;

  beforeAll(async () => {
    tdb = await createTestDatabase('seqbatch');
    await tdb.query(`do $$ begin for i in 1..300 loop
      execute format('create table b%s (id serial primary key)', i);
      execute format('insert into b%s (id) select generate_series(1, %s)', i, 1 + i % 7);
    end loop; end $$`);
    // The session's own lock_timeout is long: the fix must apply its own inside each transaction.
    db = await openPostgres(pgTarget(tdb.url), { maxConnections: 2, lockTimeoutMs: 10_000 });
    scanDb = await openPostgres(pgTarget(tdb.url), { maxConnections: 2, lockTimeoutMs: 200 });
  });
  afterAll(async () => {
    await db?.close();
    await scanDb?.close();
    await tdb?.drop();
  });

  it('fixes 300 sequences in a few round trips; one held table is refused within the lock_timeout given, the rest are fixed', async () => {
    const holder = await tdb.connect();
    await holder.query('begin; lock table b150 in access exclusive mode');
    const scan = await scanSequences(scanDb, { schemas: ['public'] });
    expect(scan.tally.lagging).toBe(299);
    expect(scan.findings.find((f) => f.name === 'b150_id_seq')?.reasonCode).toBe('lock_timeout');
    // Between the scan and the fix, writers go on through the sequence: the fix must not move it back.
    await tdb.query('insert into b10 (id) values (100)');
    const started = Date.now();
    let calls = 0;
    const outcomes = await fixSequences(db, scan.findings, { lockTimeoutMs: 200, lockRetryWaitsMs: [100, 100], onProgress: () => calls++ });
    const elapsed = Date.now() - started;
    await holder.query('rollback');
    expect(calls).toBe(300);
    const held = outcomes.find((o) => o.sequence === 'public.b150_id_seq')!;
    expect(held).toMatchObject({ status: 'lock-timeout' });
    expect(held.reason).toMatch(/in 3 attempts/);
    // Three refusals of 200 ms and two waits of 100 ms; the session's 10 s would take 30 s.
    expect(elapsed).toBeLessThan(5_000);
    expect(outcomes.filter((o) => o.status === 'fixed')).toHaveLength(299);
    expect(outcomes.find((o) => o.sequence === 'public.b10_id_seq')).toMatchObject({ status: 'fixed', after: '101', sql: `select setval('"public"."b10_id_seq"', 100, true);` });
    const { rows } = await tdb.query<{ id: number }>('insert into b10 default values returning id');
    expect(rows[0]!.id).toBe(101);
    const after = await scanSequences(scanDb, { schemas: ['public'] });
    expect(after.tally.lagging).toBe(1);
    expect(after.findings.find((f) => f.status === 'lagging')?.name).toBe('b150_id_seq');
  });

  it('a sequence already past the data under the lock is left alone, never moved back', async () => {
    await tdb.query('create table ahead (id serial primary key); insert into ahead (id) values (5)');
    const scan = await scanSequences(db, { tables: ['ahead'] });
    expect(scan.findings[0]?.status).toBe('lagging');
    await tdb.query(`select setval('ahead_id_seq', 1000)`);
    const [outcome] = await fixSequences(db, scan.findings);
    expect(outcome).toMatchObject({ status: 'unchanged', before: '1001', reason: 'no longer lagging' });
    expect((await tdb.query<{ v: string }>(`select last_value::text as v from ahead_id_seq`)).rows[0]!.v).toBe('1000');
  });
});
