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

  it('warns when the role cannot read a table, and --fail-on warn turns that into exit 1', async () => {
    await db.query('create table secret_stuff (id serial primary key)');
    await db.query(`do $$ begin create role healfix_doctor_ro login password 'ro-pass-123'; exception when duplicate_object then null; end $$`);
    await db.query(`grant connect on database ${db.name} to healfix_doctor_ro`);
    const url = db.urlFor('healfix_doctor_ro', 'ro-pass-123');
    const lenient = await runCli(['doctor', '-d', url]);
    expect(lenient.code).toBe(0);
    expect(lenient.stdout).toContain('cannot read 1 table');
    expect(lenient.stdout).toContain('public.secret_stuff');
    const strict = await runCli(['doctor', '-d', url, '--fail-on', 'warn']);
    expect(strict.code).toBe(1);
    expect(strict.stdout + strict.stderr).not.toContain('ro-pass-123');
    await db.query('drop table secret_stuff');
    await db.query(`revoke connect on database ${db.name} from healfix_doctor_ro`);
    await db.query('drop role healfix_doctor_ro');
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

