import { afterAll, beforeAll, expect, it } from 'vitest';
import pg from 'pg';
import { startEmbeddedPostgres, type EmbeddedServer } from '../../src/embedded/postgres.js';
import { createTestDatabase, describeDb, type TestDatabase } from '../helpers/db.js';
import { runCli } from '../helpers/exec.js';

/**
 * A real publication/subscription: the publisher is an embedded cluster started with wal_level=logical,
 * the subscriber a database on the test server. Rows arrive; sequence positions do not.
 */
describeDb('healfix sequences on a logical-replication subscriber', () => {
  let publisher: EmbeddedServer;
  let pub: pg.Client;
  let sub: TestDatabase;
  const subName = `healfix_sub_${Math.random().toString(36).slice(2, 8)}`;

  const waitForRows = async (n: number) => {
    for (let i = 0; i < 150; i++) {
      const { rows } = await sub.query<{ n: string }>('select count(*)::text as n from orders');
      if (Number(rows[0]!.n) >= n) return;
      await new Promise((r) => setTimeout(r, 200));
    }
    throw new Error(`the subscriber never received ${n} rows`);
  };

  beforeAll(async () => {
    publisher = await startEmbeddedPostgres({ settings: { wal_level: 'logical', max_replication_slots: '4', max_wal_senders: '4' } });
    pub = new pg.Client({ connectionString: publisher.url });
    await pub.connect();
    await pub.query('create table orders (id serial primary key, note text)');
    await pub.query(`insert into orders (note) select 'o' || g from generate_series(1, 50) g`);
    await pub.query('create publication healfix_pub for table orders');
    sub = await createTestDatabase('logsub');
    await sub.query('create table orders (id serial primary key, note text)');
    const u = new URL(publisher.url);
    const conninfo = `host=127.0.0.1 port=${u.port} user=postgres password=${decodeURIComponent(u.password)} dbname=postgres`;
    await sub.query(`create subscription ${subName} connection '${conninfo}' publication healfix_pub`);
    await waitForRows(50);
  });
  afterAll(async () => {
    await sub?.query(`alter subscription ${subName} disable`).catch(() => {});
    await sub?.query(`alter subscription ${subName} set (slot_name = none)`).catch(() => {});
    await sub?.query(`drop subscription if exists ${subName}`).catch(() => {});
    await pub?.query(`select pg_drop_replication_slot(slot_name) from pg_replication_slots`).catch(() => {});
    await pub?.end().catch(() => {});
    await sub?.drop();
    await publisher?.stop();
  });

  it('says sequences are not replicated, warns that --fix must run again after the final sync, and --source catches up', async () => {
    const scan = await runCli(['sequences', '--json', '-d', sub.url]);
    expect(scan.code).toBe(1);
    const doc = JSON.parse(scan.stdout);
    expect(doc.findings[0]).toMatchObject({ sequence: 'public.orders_id_seq', status: 'lagging', nextValue: '1', maxValue: '50' });
    expect(doc.replication).toMatchObject({ subscriber: true, subscriptions: [{ name: subName, enabled: true }], replicatedTables: ['public.orders'] });
    expect(doc.replication.note).toContain('logical replication does not copy sequence values (PostgreSQL 18 and older)');

    const human = await runCli(['sequences', '-d', sub.url]);
    expect(human.stdout).toContain('Logical replication: this database subscribes to');

    const fix = await runCli(['sequences', '--fix', '--yes', '--json', '-d', sub.url]);
    expect(fix.code, fix.stderr).toBe(0);
    expect(JSON.parse(fix.stdout).replication.fixWarning).toContain('feed tables still receiving replicated rows: run this fix again after the final sync');
    expect(fix.stderr).toContain('Warning: 1 sequence (public.orders_id_seq) feed tables still receiving replicated rows');

    // The warning is true: more rows arrive, and the sequence lags again.
    await pub.query(`insert into orders (note) select 'late' from generate_series(1, 10)`);
    await waitForRows(60);
    const again = JSON.parse((await runCli(['sequences', '--json', '-d', sub.url])).stdout);
    expect(again.findings[0]).toMatchObject({ status: 'lagging', nextValue: '51', maxValue: '60' });

    // Cutover against the publisher: its counter (61) is where the subscriber's must go.
    await pub.query('delete from orders where id > 55'); // the newest ids were handed out, then deleted
    await new Promise((r) => setTimeout(r, 1500));
    const cut = await runCli(['sequences', '--fix', '--yes', '--json', '-d', sub.url, '--source', publisher.url]);
    expect(cut.code, cut.stderr).toBe(0);
    expect(JSON.parse(cut.stdout).fixes[0]).toMatchObject({ sequence: 'public.orders_id_seq', status: 'fixed', after: '61' });
  });
});
