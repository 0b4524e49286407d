import { readFileSync } from 'node:fs';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestDatabase, describeDb, type TestDatabase } from '../helpers/db.js';
import { runCli } from '../helpers/exec.js';

const fixture = (name: string) => readFileSync(new URL(`../fixtures/explain/${name}`, import.meta.url), 'utf8');
// An empty folder: no .env, so no database is found unless the test gives one.
const cwd = mkdtempSync(join(tmpdir(), 'healfix-explain-cli-'));
afterAll(() => rmSync(cwd, { recursive: true, force: true }));
const PASTE = '[ERROR 849e6587] register: duplicate key value violates unique constraint "notifications_pkey"\nDETAIL:  Key (id)=(1) already exists.';

describe('healfix explain (binary)', () => {
  it('explains an argument and exits 0', async () => {
    const r = await runCli(['explain', PASTE], { cwd });
    expect(r.code).toBe(0);
    expect(r.stdout).toContain('1. Duplicate key on "notifications_pkey" (id)=(1)');
    expect(r.stdout).toMatch(/next: +healfix sequences --fix --table notifications/);
    expect(r.stdout).toContain('live check: no database configured');
    expect(r.stderr).toBe('');
  });

  it('reads stdin, and "-" means stdin', async () => {
    const a = await runCli(['explain'], { cwd, input: fixture('sana-verify.log') });
    expect(a.code).toBe(0);
    expect(a.stdout).toContain('No pending signup for temp_1753562929_84249ea7');
    const b = await runCli(['explain', '-'], { cwd, input: fixture('flask-limiter-429.html') });
    expect(b.code).toBe(0);
    expect(b.stdout).toContain('(50 per 1 hour)');
  });

  it('unrecognised text: says so and exits 1', async () => {
    const r = await runCli(['explain', 'TypeError: x is undefined'], { cwd });
    expect(r.code).toBe(1);
    expect(r.stdout).toContain('nothing recognised');
  });

  it('no text at all is a usage error: exit 2, one line, no stack', async () => {
    const r = await runCli(['explain'], { cwd, input: '' });
    expect(r.code).toBe(2);
    expect(r.stderr.split('\n')[0]).toBe('healfix: no error text: stdin was empty');
    expect(r.stderr).not.toMatch(/\bat \w+ \(/);
    expect(r.stdout).toBe('');
  });

  it('--json prints exactly one document', async () => {
    const r = await runCli(['explain', '--json', fixture('healing-space-server.log')], { cwd });
    expect(r.code).toBe(0);
    const doc = JSON.parse(r.stdout);
    expect(doc).toMatchObject({ schemaVersion: 1, command: 'explain', ok: true, recognised: true, live: { status: 'not-configured' } });
    expect(doc.diagnoses.map((d: { id: string }) => d.id)).toEqual(['duplicate-key', 'rate-limited']);
    expect(doc.diagnoses[0].facts.values).toEqual(['1', '2', '3']);
    const unrecognised = JSON.parse((await runCli(['explain', '--json', 'hello'], { cwd })).stdout);
    expect(unrecognised).toMatchObject({ ok: false, recognised: false, diagnoses: [] });
  });

  it('never echoes a password, token or OTP code from the paste', async () => {
    const secrets = ['healing_space_dev_password', 'SecurePass123!@', '44f36608ffe5ab2393ae495b3fc0b9dc99fd6de354cb934fa75e7968af2f78e0', '482913'];
    const paste = [fixture('password-auth.txt'), fixture('healing-space-server.log'), fixture('sana-verify.log')].join('\n');
    for (const args of [['explain'], ['explain', '--json']]) {
      const r = await runCli(args, { cwd, input: paste });
      expect(r.code).toBe(0);
      for (const secret of secrets) {
        expect(r.stdout).not.toContain(secret);
        expect(r.stderr).not.toContain(secret);
      }
    }
  });

  it('a SQLite database: text diagnosis, and says the live check is for PostgreSQL', async () => {
    const file = join(cwd, 'app.db');
    writeFileSync(file, '');
    const r = await runCli(['explain', '--database-url', `sqlite:${file}`, PASTE], { cwd });
    expect(r.code).toBe(0);
    expect(r.stdout).toContain('the live check applies to PostgreSQL');
  });

  it('a database that refuses connections: the diagnosis still prints, exit 2, password masked', async () => {
    const r = await runCli(['explain', '--database-url', 'postgres://app:pw-not-shown@127.0.0.1:1/app', PASTE], { cwd });
    expect(r.code).toBe(2);
    expect(r.stdout).toContain('Duplicate key on "notifications_pkey"');
    expect(r.stdout).toContain('live check failed');
    expect(r.stdout + r.stderr).not.toContain('pw-not-shown');
  });

  it('a pasted connection refusal is tried again against the configured database: still refused here, exit 1', async () => {
    const r = await runCli(['explain', '--database-url', 'postgres://app:pw-not-shown@127.0.0.1:1/app'], { cwd, input: fixture('psycopg2-refused.txt') });
    expect(r.code).toBe(1);
    expect(r.stdout).toContain('live check (postgres://app:****@127.0.0.1:1/app): still failing from here: cannot connect to 127.0.0.1:1/app: connection refused');
    expect(r.stdout + r.stderr).not.toContain('pw-not-shown');
    const none = await runCli(['explain'], { cwd, input: fixture('psycopg2-refused.txt') });
    expect(none.stdout).toContain('live check: no database configured: text diagnosis only (give --database-url to try the connection now)');
  });
});

describeDb('healfix explain against a database (binary)', () => {
  let db: TestDatabase;
  beforeAll(async () => {
    db = await createTestDatabase('explaincli');
    await db.query(`
      create table notifications (id serial primary key, message text);
      insert into notifications (id, message) select g, 'm' from generate_series(1, 41) g;
    `);
  });
  afterAll(async () => {
    await db?.drop();
  });

  it('lagging now: names the sequence, the lag and the command; exit 1', async () => {
    const r = await runCli(['explain', '-d', db.url, PASTE], { cwd });
    expect(r.code).toBe(1);
    expect(r.stdout).toContain(
      'notifications_pkey is fed by public.notifications_id_seq; next value 1, max(id) 41: lagging by 41 — run healfix sequences --fix --table notifications',
    );
    expect(r.stdout.trimEnd().split('\n').at(-1)).toBe(
      '1 problem recognised (duplicate-key); notifications_pkey still lags in the database — run healfix sequences --fix --table notifications',
    );
    expect(r.stdout).not.toContain('healfix-test');
  });

  it('--json carries the live state; after the fix the same paste exits 0', async () => {
    const before = JSON.parse((await runCli(['explain', '--json', '-d', db.url, PASTE], { cwd })).stdout);
    expect(before).toMatchObject({ ok: false, live: { status: 'checked', problemPresent: true, constraints: [{ constraint: 'notifications_pkey', verdict: 'lagging' }] } });
    expect(before.live.constraints[0].locations[0].sequences[0]).toMatchObject({ sequence: 'public.notifications_id_seq', lag: '41' });
    await db.query(`select setval('notifications_id_seq', 41)`);
    const after = await runCli(['explain', '--json', '-d', db.url, PASTE], { cwd });
    expect(after.code).toBe(0);
    expect(JSON.parse(after.stdout)).toMatchObject({ ok: true, live: { problemPresent: false, constraints: [{ verdict: 'healthy' }] } });
  });

  it('a pasted connection refusal against a database that answers now: says so, exit 0', async () => {
    const r = await runCli(['explain', '--json', '-d', db.url], { cwd, input: fixture('psycopg2-refused.txt') });
    expect(r.code).toBe(0);
    const doc = JSON.parse(r.stdout);
    expect(doc.diagnoses.map((d: { id: string }) => d.id)).toEqual(['connection-refused']);
    expect(doc.live).toMatchObject({ status: 'checked', problemPresent: false });
    expect(doc.live.message).toMatch(/answers now: the pasted failure does not happen with this configuration/);
  });

  it('a constraint this database does not have: says so', async () => {
    const r = await runCli(['explain', '-d', db.url, 'ERROR:  duplicate key value violates unique constraint "audit_logs_pkey"'], { cwd });
    expect(r.code).toBe(0);
    expect(r.stdout).toContain('audit_logs_pkey does not exist in');
  });
});
