import { writeFileSync } from 'node:fs';
import { testTempDir } from '../helpers/tmp.js';
import { join } from 'node:path';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { createTestDatabase, describeDb, dropRole, type TestDatabase } from '../helpers/db.js';
import { runCli } from '../helpers/exec.js';

describeDb('healfix doctor', () => {
  let db: TestDatabase;
  beforeAll(async () => {
    db = await createTestDatabase('doctor_cli');
  });
  afterAll(() => db.drop());

  it('reports server facts as JSON and passes on a healthy empty database', async () => {
    const result = await runCli(['doctor', '--json', '-d', db.url]);
    expect(result.stderr).toBe('');
    const doc = JSON.parse(result.stdout);
    expect(doc).toMatchObject({ schemaVersion: 1, command: 'doctor', ok: true, failOn: 'error' });
    expect(doc.server.kind).toBe('postgres');
    expect(doc.checks[0]).toMatchObject({ check: 'server', status: 'ok' });
    expect(result.code).toBe(0);
  });

  it('--flow / --profile choose the flow of --url: without --url, or together, one line and exit 2', async () => {
    const alone = await runCli(['doctor', '--json', '-d', db.url, '--profile', 'otp']);
    expect(alone.code).toBe(2);
    expect(JSON.parse(alone.stdout)).toMatchObject({ ok: false });
    expect(alone.stdout).toContain('--flow and --profile choose the flow doctor --url replays: give --url too');
    const both = await runCli(['doctor', '-d', db.url, '--url', 'http://127.0.0.1:1', '--profile', 'otp', '--flow', 'x.yaml']);
    expect(both.code).toBe(2);
    expect(both.stderr.split('\n')[0]).toBe('healfix: give either --flow or --profile, not both');
  });

  it('warns when the role cannot read a table, and --fail-on warn turns that into exit 1', async () => {
    // No sequence feeds it: only the server check has something to say, a warning.
    await db.query('create table secret_stuff (id int primary key)');
    await db.query(`do $$ begin create role healfix_doctor_ro login password 'ro-pass-123'; exception when duplicate_object then null; end $$`);
    await db.query(`grant connect on database ${db.name} to healfix_doctor_ro`);
    const url = db.urlFor('healfix_doctor_ro', 'ro-pass-123');
    try {
      const lenient = await runCli(['doctor', '-d', url]);
      expect(lenient.code).toBe(0);
      expect(lenient.stdout).toContain('cannot read 1 table');
      expect(lenient.stdout).toContain('public.secret_stuff');
      const strict = await runCli(['doctor', '-d', url, '--fail-on', 'warn']);
      expect(strict.code).toBe(1);
      expect(strict.stdout + strict.stderr).not.toContain('ro-pass-123');

      // A sequence-fed table it cannot read is a sequence nobody verified: an error, never "healthy".
      await db.query('create table secret_serial (id serial primary key)');
      const unverified = await runCli(['doctor', '-d', url]);
      expect(unverified.code).toBe(1);
      expect(unverified.stdout).toContain('public.secret_serial_id_seq could not be verified (permission_denied)');
      expect(unverified.stdout).toContain('GRANT SELECT');
      expect(unverified.stdout).not.toContain('healthy');
      expect(unverified.stdout).toMatch(/✖ problems: /);
    } finally {
      await db.query('drop table if exists secret_stuff, secret_serial');
      await db.query(`revoke connect on database ${db.name} from healfix_doctor_ro`);
      await db.query('drop role healfix_doctor_ro');
    }
  });

  it('a sequence whose table is held by a long transaction is not verified: exit 1, ok:false, a lock hint', async () => {
    await db.query('create table held_doc (id serial primary key); insert into held_doc (id) values (3)');
    const holder = await db.connect();
    try {
      await holder.query('begin; lock table held_doc in access exclusive mode');
      const human = await runCli(['doctor', '--lock-timeout', '1s', '-d', db.url]);
      expect(human.code).toBe(1);
      expect(human.stdout).toContain('public.held_doc_id_seq could not be verified (lock_timeout)');
      expect(human.stdout).toContain('a transaction holds a lock on public.held_doc');
      expect(human.stdout).not.toContain('healthy');
      const json = await runCli(['doctor', '--json', '--lock-timeout', '1s', '-d', db.url]);
      expect(json.code).toBe(1);
      const doc = JSON.parse(json.stdout);
      expect(doc.ok).toBe(false);
      expect(doc.checks.find((c: { check: string }) => c.check === 'sequences')).toMatchObject({ status: 'error' });
    } finally {
      await holder.query('rollback').catch(() => {});
      await holder.end();
      await db.query('drop table held_doc');
    }
  });

  it('a backend terminated mid-scan is exit 2 with one line, never a healthy report', async () => {
    await db.query('create table held_kill (id serial primary key); insert into held_kill (id) values (3)');
    const holder = await db.connect();
    try {
      await holder.query('begin; lock table held_kill in access exclusive mode');
      const run = runCli(['doctor', '--lock-timeout', '30s', '-d', db.url]);
      let waiting = false;
      for (let i = 0; i < 100 && !waiting; i++) {
        await new Promise((r) => setTimeout(r, 100));
        const { rows } = await db.query<{ n: string }>(`select count(*) as n from pg_stat_activity where application_name = 'healfix' and datname = current_database() and wait_event_type = 'Lock'`);
        waiting = Number(rows[0]?.n) > 0;
      }
      expect(waiting).toBe(true);
      // Only this file's database: other test files run healfix at the same time.
      await db.query(`select pg_terminate_backend(pid) from pg_stat_activity where application_name = 'healfix' and datname = current_database() and wait_event_type = 'Lock'`);
      const r = await run;
      expect(r.code).toBe(2);
      expect(r.stdout).not.toContain('healthy');
      expect(r.stderr).toMatch(/^healfix: lost the connection to .*terminating connection due to administrator command/);
      expect(r.stderr).not.toMatch(/\n\s+at /);
    } finally {
      await holder.query('rollback').catch(() => {});
      await holder.end();
      await db.query('drop table held_kill');
    }
  });
});

describeDb('finding the database like the app does', () => {
  let db: TestDatabase;
  const password = 'pgpass-only-secret-77';
  const role = `healfix_env_${Math.random().toString(36).slice(2, 8)}`;
  beforeAll(async () => {
    db = await createTestDatabase('doctor_env');
    await db.query(`create role ${role} login password '${password}'`);
    await db.query(`grant connect on database ${db.name} to ${role}`);
  });
  afterAll(async () => {
    await db.drop();
    await dropRole(role);
  });

  it("reads the app's .env (DB_HOST, DB_PORT, DB_NAME, DB_USER, DB_PASSWORD) and says so, password masked", async () => {
    const u = new URL(db.urlFor(role, password));
    const dir = testTempDir('app');
    writeFileSync(join(dir, '.env'), `DB_HOST=${u.hostname}\nDB_PORT=${u.port}\nDB_NAME=${db.name}\nDB_USER=${role}\nDB_PASSWORD=${password}\nSECRET_KEY=x\n`);
    const result = await runCli(['doctor'], { cwd: dir });
    expect(result.code).toBe(0);
    expect(result.stdout).toContain(`Database: postgres://${role}:****@${u.hostname}:${u.port}/${db.name} (from .env)`);
    expect(result.stdout + result.stderr).not.toContain(password);
  });

  it('uses PG* variables with the password from a pgpass file', async () => {
    const u = new URL(db.urlFor(role, password));
    const dir = testTempDir('pgpass');
    const passfile = join(dir, 'pgpass');
    writeFileSync(passfile, `${u.hostname}:${u.port}:${db.name}:${role}:${password}\n`, { mode: 0o600 });
    const result = await runCli(['doctor', '--json'], {
      cwd: dir,
      env: { PGHOST: u.hostname, PGPORT: u.port, PGDATABASE: db.name, PGUSER: role, PGPASSFILE: passfile },
    });
    expect(result.stderr).toBe('');
    expect(result.code).toBe(0);
    const doc = JSON.parse(result.stdout);
    expect(doc.target).toEqual({ kind: 'postgres', source: 'PG* environment', display: `postgres://${role}@${u.hostname}:${u.port}/${db.name}` });
    expect(result.stdout).not.toContain(password);
  });

  it('honours sslmode in the URL: require against a server without TLS fails in one line, exit 2', async () => {
    const u = new URL(db.urlFor(role, password));
    u.searchParams.set('sslmode', 'require');
    const result = await runCli(['doctor', '-d', u.toString()]);
    expect(result.code).toBe(2);
    expect(result.stderr).toMatch(/^healfix: cannot connect to .*: .*(SSL|TLS|ssl)/);
    // libpq meaning of sslmode, and none of pg's multi-line SECURITY WARNING about its own meaning.
    expect(result.stderr).not.toContain('Warning');
    expect(result.stderr.trim().split('\n').length).toBeLessThanOrEqual(2);
    expect(result.stderr).not.toMatch(/\n\s+at /);
    expect(result.stderr).not.toContain(password);
  });
});

