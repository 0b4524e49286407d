import pg from 'pg';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { startEmbeddedPostgres, type EmbeddedServer } from '../../src/embedded/postgres.js';
import { describeDb } from '../helpers/db.js';
import { runCli } from '../helpers/exec.js';

/**
 * --all-databases on a server of its own (the shared test server holds other files' databases): every
 * database the role may CONNECT to, templates and a REVOKE CONNECT one left out.
 */
describeDb('healfix sequences --all-databases', () => {
  let server: EmbeddedServer;
  const url = (db: string, user = 'postgres') => {
    const u = new URL(server.url);
    u.pathname = `/${db}`;
    if (user !== 'postgres') {
      u.username = user;
      u.password = 'Tenant-pw-1';
    }
    return u.toString();
  };

  beforeAll(async () => {
    server = await startEmbeddedPostgres();
    const admin = new pg.Client({ connectionString: server.url });
    await admin.connect();
    await admin.query(`create role tenant_reader login password 'Tenant-pw-1'`);
    for (const [i, db] of ['tenant_a', 'tenant_b', 'tenant_c', 'tenant_closed'].entries()) {
      await admin.query(`create database ${db}`);
      const c = new pg.Client({ connectionString: url(db) });
      await c.connect();
      await c.query(`create table users (id serial primary key); insert into users (id) select generate_series(1, ${i + 2}); grant select on users, users_id_seq to tenant_reader`);
      if (db !== 'tenant_b') await c.query(`select setval('users_id_seq', 100)`);
      await c.end();
    }
    await admin.query('revoke connect on database tenant_closed from public');
    await admin.end();
  });
  afterAll(async () => {
    await server?.stop();
  });

  it('checks every database the role may connect to, in one document; exit = the worst', async () => {
    const r = await runCli(['sequences', '--all-databases', '-d', url('tenant_a', 'tenant_reader'), '--json', '--jobs', '2']);
    const doc = JSON.parse(r.stdout);
    expect(doc.databases.map((d: { database: string }) => d.database)).toEqual(['postgres', 'tenant_a', 'tenant_b', 'tenant_c']);
    expect(doc.databases.find((d: { database: string }) => d.database === 'tenant_b')).toMatchObject({ status: 'problems', summary: { lagging: 1 } });
    expect(doc.databases.find((d: { database: string }) => d.database === 'postgres')).toMatchObject({ status: 'ok', summary: { checked: 0 } });
    expect(doc.fleet).toMatchObject({ databases: 4, ok: 3, problems: 1, errors: 0 });
    expect(r.code).toBe(1);
    expect(r.stdout).not.toContain('Tenant-pw-1');
    // A superuser may connect everywhere: the closed database is checked too, templates never.
    const su = JSON.parse((await runCli(['sequences', '--all-databases', '-d', url('postgres'), '--json'])).stdout);
    expect(su.databases.map((d: { database: string }) => d.database)).toEqual(['postgres', 'tenant_a', 'tenant_b', 'tenant_c', 'tenant_closed']);
  });

  it('doctor --all-databases: one table of databases x checks, a JSON section per database', async () => {
    const r = await runCli(['doctor', '--all-databases', '-d', url('tenant_a', 'tenant_reader'), '--json']);
    const doc = JSON.parse(r.stdout);
    expect(doc.command).toBe('doctor');
    expect(doc.databases.map((d: { database: string }) => d.database)).toEqual(['postgres', 'tenant_a', 'tenant_b', 'tenant_c']);
    const b = doc.databases.find((d: { database: string }) => d.database === 'tenant_b');
    expect(b.status).toBe('problems');
    expect(b.checks.find((c: { check: string }) => c.check === 'sequences')).toMatchObject({ status: 'error' });
    expect(r.code).toBe(1);
    const human = await runCli(['doctor', '--all-databases', '-d', url('tenant_a', 'tenant_reader')]);
    expect(human.stdout).toMatch(/database\s.*sequences/);
    expect(human.stdout).toContain('4 databases: 3 ok, 1 with problems');
    expect(human.code).toBe(1);
  });
});
