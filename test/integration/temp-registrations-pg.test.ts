import { afterAll, beforeAll, expect, it } from 'vitest';
import { inspectTempRegistrations, tempRegistrationsCheckResult } from '../../src/checks/temp-registrations.js';
import { planPurgeExpired, purgeExpiredTempRegistrations } from '../../src/fix/purge-temp-registrations.js';
import { createTestDatabase, describeDb, openedDatabases, type TestDatabase } from '../helpers/db.js';
import { HEALING_SPACE, HEALING_SPACE_CODES, PENDING_SIGNUPS, PENDING_TOKENS } from '../fixtures/pg-shapes.js';

describeDb('temp-registrations on PostgreSQL', () => {
  let hs: TestDatabase;
  let ps: TestDatabase;
  const { open, closeAll } = openedDatabases();
  beforeAll(async () => {
    [hs, ps] = await Promise.all([createTestDatabase('tr_hs'), createTestDatabase('tr_ps')]);
    await hs.query(HEALING_SPACE);
    await ps.query(PENDING_SIGNUPS);
  });
  afterAll(async () => {
    await closeAll();
    await Promise.all([hs.drop(), ps.drop()]);
  });

  it("Healing Space's verification_codes: two live codes for one address and a stale code", async () => {
    const result = await inspectTempRegistrations(await open(hs.url));
    expect(result.tables.map((t) => [t.role, t.table])).toEqual([['otp', 'verification_codes']]);
    expect(result.tables[0]!.columns).toMatchObject({ identifier: 'identifier', used: 'verified', expires: 'expires_at' });
    expect(result.counts.otp).toMatchObject({ rows: 4, live: 2, expired: 1, used: 1, orphans: 0 });
    const race = result.findings.find((f) => f.title === '2 live signup codes for ivan@example.com');
    expect(race).toMatchObject({ severity: 'error', nextCommand: 'healfix temp-registrations --email ivan@example.com' });
    const stale = result.findings.find((f) => f.title.startsWith('1 expired one-time codes in verification_codes never cleaned'));
    expect(stale).toMatchObject({ severity: 'warn', nextCommand: 'healfix temp-registrations --purge-expired' });
    // Naive timestamps are judged against localtimestamp: nothing is "in the future".
    expect(result.findings.some((f) => f.title.includes('future'))).toBe(false);
    expect(JSON.stringify(result)).not.toMatch(new RegExp(HEALING_SPACE_CODES.join('|')));
    expect(tempRegistrationsCheckResult(result).status).toBe('error');
  });

  it('a pending_signups table with a token: duplicates per email, tokens never shown', async () => {
    const db = await open(ps.url);
    const result = await inspectTempRegistrations(db, { email: 'kim@example.com' });
    expect(result.tables[0]).toMatchObject({ role: 'pending', table: 'pending_signups', columns: { id: 'token', email: 'email' } });
    const dup = result.findings.find((f) => f.title === '2 pending signups for kim@example.com');
    expect(dup).toMatchObject({ severity: 'error', nextCommand: 'healfix temp-registrations --email kim@example.com' });
    expect(result.findings.find((f) => f.title.includes('already have an account'))!.data!.emails).toEqual(['lee@example.com']);
    expect(result.trace!.pending).toHaveLength(2);
    expect(JSON.stringify(result)).not.toMatch(new RegExp(PENDING_TOKENS.join('|')));
  });

  it('takes an unusual schema from --table and --columns', async () => {
    await ps.query(`create table signup_holds (addr text, valid_until timestamptz, ref text primary key);
      insert into signup_holds values ('m@example.com', now() - interval '2 hours', 'r1'), ('n@example.com', now() + interval '1 hour', 'r2')`);
    const result = await inspectTempRegistrations(await open(ps.url), { table: 'signup_holds', otpTable: undefined, columns: 'id=ref,email=addr,expires=valid_until' });
    expect(result.tables[0]).toMatchObject({ table: 'signup_holds', reason: 'named with --table', columns: { id: 'ref', email: 'addr', expires: 'valid_until' } });
    expect(result.counts.pending).toMatchObject({ rows: 2, expired: 1 });
    expect(result.findings[0]!.nextCommand).toBe("healfix temp-registrations --purge-expired --table signup_holds --columns id=ref,email=addr,expires=valid_until");
  });

  it('purges expired rows in one transaction and leaves live ones', async () => {
    const db = await open(hs.url);
    const before = await inspectTempRegistrations(db);
    expect(planPurgeExpired(before)).toEqual([
      { table: 'verification_codes', rows: 1, sql: 'delete from "public"."verification_codes" where "id" in (<1 keys whose expires_at is before now>)' },
    ]);
    expect(await purgeExpiredTempRegistrations(db, before)).toEqual([{ table: 'verification_codes', deleted: 1 }]);
    const { rows } = await hs.query<{ identifier: string }>('select identifier from verification_codes order by id');
    expect(rows.map((r) => r.identifier)).toEqual(['ivan@example.com', 'ivan@example.com', 'hana@example.com']);
  });
});
