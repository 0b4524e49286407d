import { afterAll, beforeAll, expect, it } from 'vitest';
import { createTestDatabase, describeDb, type TestDatabase } from '../helpers/db.js';
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
