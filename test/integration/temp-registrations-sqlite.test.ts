import { createHash } from 'node:crypto';
import { existsSync, readFileSync, rmSync, statSync } from 'node:fs';
import { afterEach, describe, expect, it } from 'vitest';
import { inspectTempRegistrations, tempRegistrationsCheckResult } from '../../src/checks/temp-registrations.js';
import { openDatabase, type OpenedDatabase } from '../../src/db/open.js';
import { UsageError } from '../../src/errors.js';
import { createSanaDb, minutes, plantSanaProblems, pyTime, SANA_CODES, type SanaDb } from '../fixtures/sana.js';

const cleanups: (() => void | Promise<void>)[] = [];
afterEach(async () => {
  while (cleanups.length) await cleanups.pop()!();
});

async function open(sana: SanaDb, write = false): Promise<OpenedDatabase> {
  const db = await openDatabase({ databaseUrl: `sqlite:${sana.path}` }, { write });
  cleanups.push(() => db.close());
  return db;
}

function sana(): SanaDb {
  const s = createSanaDb();
  cleanups.push(() => {
    s.close();
    rmSync(s.dir, { recursive: true, force: true });
  });
  return s;
}

describe('temp-registrations on a SANA-shaped SQLite file', () => {
  it('finds the tables and says why', async () => {
    const s = sana();
    const result = await inspectTempRegistrations(await open(s), { utcOffsetMinutes: 0 });
    expect(result.tables.map((t) => [t.role, t.table])).toEqual([['pending', 'temp_registrations'], ['otp', 'user_otp']]);
    expect(result.tables[0]!.columns).toMatchObject({ id: 'temp_id', email: 'email', created: 'created_at', expires: 'expires_at' });
    expect(result.tables[1]!.reason).toContain('never read');
    expect(result.findings).toEqual([]);
    expect(tempRegistrationsCheckResult(result).status).toBe('ok');
  });

  it('reports every planted problem with the next command to run', async () => {
    const s = sana();
    plantSanaProblems(s);
    const db = await open(s);
    const result = await inspectTempRegistrations(db, { utcOffsetMinutes: 0 });
    const titles = result.findings.map((f) => f.title);
    const dbArg = ` --database-url sqlite:${s.path}`;

    expect(result.counts.pending).toMatchObject({ rows: 4, expired: 1, live: 3 });
    expect(result.counts.otp).toMatchObject({ rows: 6, orphans: 2, signup: 5 });

    const race = result.findings.find((f) => f.title.startsWith('3 live signup codes for alice@example.com'));
    expect(race, titles.join('\n')).toBeDefined();
    expect(race!.severity).toBe('error');
    expect(race!.title).toContain('2 pointing at deleted temp ids');
    expect(race!.nextCommand).toBe(`healfix temp-registrations --email alice@example.com${dbArg}`);

    const orphans = result.findings.find((f) => f.title.includes('point at temp ids with no pending signup'));
    expect(orphans).toMatchObject({ severity: 'error', nextCommand: `healfix temp-registrations --email alice@example.com${dbArg}` });
    expect(orphans!.data!.identifiers).toEqual(['temp_1753562929_84249ea7', 'temp_1753562930_0badf00d']);

    const expired = result.findings.find((f) => f.title.startsWith('1 expired pending signups in temp_registrations never cleaned'));
    expect(expired).toMatchObject({ severity: 'warn', nextCommand: `healfix temp-registrations --purge-expired${dbArg}` });
    expect(result.findings.find((f) => f.title.startsWith('1 expired one-time codes'))).toBeDefined();

    const noCode = result.findings.find((f) => f.title === '1 pending signups have no one-time code');
    expect(noCode!.data!.emails).toEqual(['carol@example.com']);
    const taken = result.findings.find((f) => f.title === '1 pending signups for emails that already have an account');
    expect(taken!.nextCommand).toBe(`healfix temp-registrations --email dave@example.com${dbArg}`);

    // Python writes local time with microseconds and the trigger compares with UTC.
    const trigger = result.findings.find((f) => f.title.startsWith('trigger cleanup_expired_temp_registrations'));
    expect(trigger!.severity).toBe('warn');
    expect(trigger!.detail).toContain('only while the app runs in UTC');

    const check = tempRegistrationsCheckResult(result);
    expect(check.status).toBe('error');
    expect(JSON.stringify(result)).not.toMatch(new RegExp(SANA_CODES.join('|')));
    expect(JSON.stringify(result)).not.toContain('pbkdf2');
  });

  it('west of UTC the trigger deletes every signup: an error that says so', async () => {
    const s = sana();
    s.addPending('temp_1_aaaaaaaa', 'x@example.com', minutes(-1), minutes(19));
    const result = await inspectTempRegistrations(await open(s), { utcOffsetMinutes: -300 });
    const trigger = result.findings.find((f) => f.title.startsWith('trigger '));
    expect(trigger).toMatchObject({ severity: 'error', data: { utcOffsetMinutes: -300 } });
    expect(trigger!.detail).toContain('UTC-5');
    expect(trigger!.detail).toContain('Database verification failed');
  });

  it('flags rows written in local time east of UTC as created in the future, with the skew', async () => {
    const s = sana();
    s.addPending('temp_2_bbbbbbbb', 'y@example.com', minutes(-1), minutes(19), 120);
    s.addOtp('temp_2_bbbbbbbb', 'signup', minutes(-1), minutes(9), { offsetMinutes: 120 });
    const result = await inspectTempRegistrations(await open(s), { utcOffsetMinutes: 120 });
    const future = result.findings.filter((f) => f.title.includes('in the future'));
    expect(future).toHaveLength(2);
    expect(future[0]).toMatchObject({ severity: 'error', data: { skewMinutes: 120 } });
    expect(future[0]!.detail).toContain('UTC+2');
    expect(future[0]!.nextCommand).toContain('--email y@example.com');
  });

  it('flags expiry written by another clock than creation', async () => {
    const s = sana();
    // created_at by SQLite's CURRENT_TIMESTAMP (UTC), expires_at by Python local time in UTC-5.
    s.db.prepare("insert into user_otp (identifier, otp_code, otp_type, expires_at) values ('temp_9_cccccccc', '777777', 'signup', ?)").run(pyTime(minutes(10), -300));
    const result = await inspectTempRegistrations(await open(s), { utcOffsetMinutes: -300 });
    const backwards = result.findings.find((f) => f.title.includes('expire before they were created'));
    expect(backwards).toMatchObject({ severity: 'error', data: { skewMinutes: -300 } });
    expect(backwards!.detail).toContain('UTC-5');
  });

  it('traces one signup with masked codes and the probable race siblings', async () => {
    const s = sana();
    plantSanaProblems(s);
    const result = await inspectTempRegistrations(await open(s), { email: 'ALICE@example.com', utcOffsetMinutes: 0 });
    expect(result.trace!.pending.map((p) => p.key)).toEqual(['temp_1753562932_ece82a3b']);
    expect(result.trace!.otps).toHaveLength(1);
    expect(result.trace!.otps[0]).toMatchObject({ code: '******', live: true, link: 'pending' });
    expect(result.trace!.probableRaceOtps.map((o) => o.identifier)).toEqual(['temp_1753562929_84249ea7', 'temp_1753562930_0badf00d']);
    expect(result.trace!.accountExists).toBe(false);
    const dave = await inspectTempRegistrations(await open(s), { email: 'dave@example.com', utcOffsetMinutes: 0 });
    expect(dave.trace!.accountExists).toBe(true);
  });

  it('names an unknown --table or mapped column in a usage error', async () => {
    const s = sana();
    const db = await open(s);
    const error = await inspectTempRegistrations(db, { table: 'nope' }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(UsageError);
    expect((error as UsageError).message).toBe(`--table: no table "nope" in sqlite:${s.path}`);
    expect((error as UsageError).hint).toBe('Tables there: temp_registrations, user_otp, users');
    await expect(inspectTempRegistrations(db, { otpTable: 'otp_nope' })).rejects.toThrow(/--otp-table: no table "otp_nope"/);
    await expect(inspectTempRegistrations(db, { columns: 'expires=valid_until' })).rejects.toThrow(/table temp_registrations has no column "valid_until"/);
    await expect(inspectTempRegistrations(db, { columns: 'bogus=x' })).rejects.toThrow(/unknown role "bogus"/);
  });

  it('reads a live WAL database without modifying it', async () => {
    const s = sana();
    plantSanaProblems(s);
    // The app keeps its connection open with un-checkpointed WAL frames, as a running Flask app does.
    const walPath = `${s.path}-wal`;
    expect(existsSync(walPath)).toBe(true);
    const before = { main: digest(s.path), wal: digest(walPath), walSize: statSync(walPath).size, mtime: statSync(s.path).mtimeMs };
    const db = await open(s);
    const result = await inspectTempRegistrations(db, { email: 'alice@example.com' });
    expect(result.counts.pending!.rows).toBe(4);
    await db.close();
    expect(digest(s.path)).toBe(before.main);
    expect(digest(walPath)).toBe(before.wal);
    expect(statSync(walPath).size).toBe(before.walSize);
    expect(statSync(s.path).mtimeMs).toBe(before.mtime);
    // And the app can still write.
    s.addPending('temp_3_dddddddd', 'z@example.com', minutes(0), minutes(20));
  });

  it('is skipped for doctor when there are no such tables', async () => {
    const s = sana();
    s.db.exec('drop table temp_registrations; drop table user_otp;');
    const result = await inspectTempRegistrations(await open(s));
    expect(result.inMemoryOnly).toBe(true);
    expect(tempRegistrationsCheckResult(result)).toMatchObject({ status: 'skipped', findings: [] });
  });
});

function digest(path: string): string {
  return createHash('sha256').update(readFileSync(path)).digest('hex');
}
