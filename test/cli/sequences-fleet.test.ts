import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { randomBytes } from 'node:crypto';
import pg from 'pg';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { adminUrl, describeDb, dropRole, withDatabase } from '../helpers/db.js';
import { runCli } from '../helpers/exec.js';
import { testTempDir } from '../helpers/tmp.js';

/**
 * A fleet of 20 small databases checked as an ordinary role: every fifth one has a lagging sequence, one
 * refuses the role (REVOKE CONNECT), one loses its session mid-scan. Each is that database's result.
 */
describeDb('healfix sequences over a fleet (--targets, -d, --jobs)', () => {
  const tag = randomBytes(3).toString('hex');
  const names = Array.from({ length: 20 }, (_, i) => `healfix_fleet_${tag}_${String(i).padStart(2, '0')}`);
  const role = `healfix_fleet_${tag}`;
  const password = 'Fleet-pw-42';
  const refused = names[3]!;
  const stalled = names[7]!;
  const lagging = names.filter((_, i) => i % 5 === 0);
  let admin: pg.Client;

  // A placeholder goes in through URL (which would percent-encode ${…}), then is swapped for the raw text.
  const roleUrl = (db: string, pw = password) => {
    const u = new URL(withDatabase(adminUrl(), db));
    u.username = role;
    u.password = 'PW_PLACEHOLDER';
    return u.toString().replace('PW_PLACEHOLDER', pw);
  };

  beforeAll(async () => {
    admin = new pg.Client({ connectionString: adminUrl() });
    await admin.connect();
    await admin.query(`create role ${role} login password '${password}'`);
    for (const [i, name] of names.entries()) {
      await admin.query(`create database ${name}`);
      const c = new pg.Client({ connectionString: withDatabase(adminUrl(), name) });
      await c.connect();
      await c.query('create table accounts (id serial primary key, email text)');
      // Explicit ids leave the sequence at 1 (lagging); the others insert through it.
      await c.query(i % 5 === 0 ? 'insert into accounts (id) select generate_series(1, 5)' : 'insert into accounts (email) select g::text from generate_series(1, 5) g');
      await c.query(`grant select on all tables in schema public to ${role}; grant select on all sequences in schema public to ${role}`);
      await c.end();
    }
    await admin.query(`revoke connect on database ${refused} from public`);
  });
  afterAll(async () => {
    for (const name of names) await admin.query(`drop database if exists ${name} with (force)`).catch(() => {});
    await admin?.end();
    await dropRole(role);
  });

  it('checks every database of a targets file, one report, exit = the worst; an unreachable one is its own error', async () => {
    const file = join(testTempDir('fleet'), 'targets.txt');
    writeFileSync(file, ['# the fleet, passwords from the environment', ...names.map((n) => `${roleUrl(n, '${FLEET_PW}')}  # ${n}`), ''].join('\n'));
    // The stalled database: its table held, so healfix's read waits; then its session is killed.
    const holder = new pg.Client({ connectionString: withDatabase(adminUrl(), stalled) });
    await holder.connect();
    await holder.query('begin; lock table accounts in access exclusive mode');
    const run = runCli(['sequences', '--targets', file, '--json', '--jobs', '4', '--lock-timeout', '60s'], { env: { FLEET_PW: password } });
    let killed = 0;
    for (let i = 0; i < 150 && !killed; i++) {
      await new Promise((r) => setTimeout(r, 100));
      const { rowCount } = await admin.query(`select pg_terminate_backend(pid) from pg_stat_activity where datname = $1 and application_name = 'healfix' and wait_event_type = 'Lock'`, [stalled]);
      killed = rowCount ?? 0;
    }
    const r = await run;
    await holder.query('rollback');
    await holder.end();
    expect(killed).toBe(1);
    expect(r.code, r.stderr).toBe(2);
    expect(r.stdout).not.toContain(password);
    const doc = JSON.parse(r.stdout);
    expect(doc.ok).toBe(false);
    expect(doc.fleet).toMatchObject({ databases: 20, ok: 14, problems: 4, errors: 2, exitCode: 2 });
    const byName = new Map<string, { status: string; error?: { message: string }; summary?: { lagging: number } }>(doc.databases.map((d: { database: string }) => [d.database, d]));
    expect(doc.databases.map((d: { database: string }) => d.database)).toEqual(names);
    expect(byName.get(refused)).toMatchObject({ status: 'error', error: { message: expect.stringMatching(/permission denied for database/) } });
    expect(byName.get(stalled)?.status).toBe('error');
    for (const name of lagging) expect(byName.get(name)).toMatchObject({ status: 'problems', summary: { lagging: 1 } });
    expect(byName.get(names[1]!)).toMatchObject({ status: 'ok', summary: { lagging: 0, checked: 1 } });
  });

  it('repeated -d: a table of databases and one closing line; exit 1 when the worst has problems', async () => {
    const r = await runCli(['sequences', '-d', roleUrl(names[0]!), '-d', roleUrl(names[1]!), '-d', roleUrl(names[2]!)]);
    expect(r.code, r.stderr).toBe(1);
    expect(r.stdout).toContain(`/${names[0]}`);
    expect(r.stdout).toContain('1 lagging sequence in 1 schema (1 checked)');
    expect(r.stdout).toContain('3 databases: 2 ok, 1 with problems');
    expect(r.stdout).not.toContain(password);
    // One row per database with a rule under the header only: 3 databases are 3 lines, not 5.
    const lines = r.stdout.split('\n');
    expect(lines.filter((l) => l.startsWith('├'))).toHaveLength(1);
    expect(lines.filter((l) => l.startsWith('│') && l.includes(`/${names[0]}`))).toHaveLength(1);
    // No progress line without a terminal.
    expect(r.stderr).toBe('');
  });

  it('refuses --fix over a fleet, an unset ${VAR} in the targets file, and --jobs 0', async () => {
    const fix = await runCli(['sequences', '--fix', '-d', roleUrl(names[0]!), '-d', roleUrl(names[1]!), '--json']);
    expect(fix.code).toBe(2);
    expect(JSON.parse(fix.stdout).error.message).toMatch(/^--fix works on one database at a time/);
    const file = join(testTempDir('fleet'), 'unset.txt');
    writeFileSync(file, `${roleUrl(names[0]!, '${NOT_SET_ANYWHERE}')}\n`);
    const unset = await runCli(['sequences', '--targets', file]);
    expect(unset.code).toBe(2);
    expect(unset.stderr).toContain('line 1: ${NOT_SET_ANYWHERE} is not set in the environment');
    const jobs = await runCli(['sequences', '--targets', file, '--jobs', '0']);
    expect(jobs.code).toBe(2);
    expect(jobs.stderr).toContain('--jobs must be a whole number from 1 to 64');
  });
});
