import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { afterAll, describe, expect, it } from 'vitest';
import { startSandbox } from '../../src/demo/sandbox/server.js';
import { runCli } from '../helpers/exec.js';
import { createSanaDb, plantSanaProblems, type SanaDb } from '../fixtures/sana.js';

// Issue 10 §3: for every command and outcome, the document's `ok` is true exactly when the exit code is 0.
const made: SanaDb[] = [];
afterAll(() => {
  for (const s of made) {
    s.close();
    rmSync(s.dir, { recursive: true, force: true });
  }
});
function sana(problems: boolean): string {
  const s = createSanaDb();
  if (problems) plantSanaProblems(s);
  made.push(s);
  return `sqlite:${s.path}`;
}
const REFUSED = 'postgres://nobody@127.0.0.1:1/none';
const dirs: string[] = [];
afterAll(() => dirs.forEach((d) => rmSync(d, { recursive: true, force: true })));
function scratch(): string {
  const dir = mkdtempSync(join(tmpdir(), 'healfix-outcomes-'));
  dirs.push(dir);
  return dir;
}
/** An SQLite file whose AUTOINCREMENT counter lags its rows (the explicit-id import of the seed incident). */
function laggingSqlite(): string {
  const path = join(scratch(), 'lagging.db');
  const db = new Database(path);
  db.exec(`create table users (id integer primary key autoincrement, email text);
    insert into users (email) values ('a'), ('b');
    update sqlite_sequence set seq = 0 where name = 'users';`);
  db.close();
  return `sqlite:${path}`;
}

async function outcome(args: string[], expected: 0 | 1 | 2, input?: string): Promise<Record<string, unknown>> {
  const r = await runCli([...args, '--json'], { input });
  const doc = JSON.parse(r.stdout) as Record<string, unknown>;
  expect({ args, code: r.code, ok: doc.ok }).toEqual({ args, code: expected, ok: expected === 0 });
  return doc;
}

describe('--json ok === (exit === 0), through the binary', () => {
  const clean = sana(false);
  const planted = sana(true);

  it('doctor: healthy, problems, error', async () => {
    await outcome(['doctor', '-d', clean], 0);
    await outcome(['doctor', '-d', planted, '--fail-on', 'warn'], 1);
    expect(await outcome(['doctor', '-d', REFUSED, '--connect-timeout', '2s'], 2)).toMatchObject({ error: { code: 'connection' } });
  });

  it('temp-registrations: healthy, problems, dry run with and without work, error', async () => {
    await outcome(['temp-registrations', '-d', clean], 0);
    await outcome(['temp-registrations', '-d', planted], 1);
    const plan = await outcome(['temp-registrations', '-d', planted, '--purge-expired', '--dry-run'], 1);
    expect((plan.plan as { steps: unknown[] }).steps.length).toBeGreaterThan(0);
    await outcome(['temp-registrations', '-d', clean, '--purge-expired', '--dry-run'], 0);
    expect(await outcome(['temp-registrations', '-d', clean, '--dry-run'], 2)).toMatchObject({ error: { code: 'usage' } });
  });

  it('rate-limits: healthy, problems, dry runs (the --unlock --dry-run of an unlocked account is ok: true, exit 0), error', async () => {
    await outcome(['rate-limits', '-d', clean], 0);
    await outcome(['rate-limits', '-d', planted], 1);
    await outcome(['rate-limits', '-d', planted, '--unlock', 'erin@example.com', '--dry-run'], 1);
    const none = await outcome(['rate-limits', '-d', planted, '--unlock', 'frank@example.com', '--dry-run'], 0);
    expect((none.plan as { note?: string }).note).toBe('frank@example.com is not locked');
    await outcome(['rate-limits', '-d', REFUSED, '--connect-timeout', '2s'], 2);
  });

  it('explain: recognised, not recognised, usage error', async () => {
    await outcome(['explain', '--offline'], 0, 'duplicate key value violates unique constraint "users_pkey"\nDETAIL:  Key (id)=(7) already exists.');
    await outcome(['explain', '--offline'], 1, 'all good here');
    await outcome(['explain', '--no-such-flag'], 2);
  });

  it('sequences: healthy, problems, fix dry run with and without work, fixed, error', async () => {
    await outcome(['sequences', '-d', clean], 0);
    const lagging = laggingSqlite();
    await outcome(['sequences', '-d', lagging], 1);
    await outcome(['sequences', '-d', lagging, '--fix', '--dry-run'], 1);
    await outcome(['sequences', '-d', lagging, '--fix', '--yes'], 0);
    await outcome(['sequences', '-d', lagging, '--fix', '--dry-run'], 0);
    await outcome(['sequences', '-d', REFUSED, '--connect-timeout', '2s'], 2);
  });

  it('register-test: works, fails, usage error', async () => {
    // The SANA double on an SQLite file: one signup with the OTP read from the database works; a race of 3 fails.
    const path = join(scratch(), 'sana.db');
    const sb = await startSandbox({ app: 'sana', sqlitePath: path });
    try {
      await outcome(['register-test', '--url', sb.url, '-d', `sqlite:${path}`, '--otp-from', 'db'], 0);
      await outcome(['register-test', '--url', sb.url, '-d', `sqlite:${path}`, '--otp-from', 'db', '--race', '3'], 1);
    } finally {
      await sb.close();
    }
    expect(await outcome(['register-test'], 2)).toMatchObject({ command: 'register-test', error: { code: 'usage' } });
  });
});
