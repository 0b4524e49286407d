import { rmSync } from 'node:fs';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { inspectRateLimits, rateLimitsCheckResult } from '../../src/checks/rate-limits.js';
import { planClearKey, planPurgeExpiredWindows, planUnlock } from '../../src/fix/rate-limits.js';
import { UsageError } from '../../src/errors.js';
import { createTestDatabase, describeDb, openedDatabases, type TestDatabase } from '../helpers/db.js';
import { EXPRESS_RATE_LIMIT, HEALING_SPACE, RATE_LIMITER_FLEXIBLE } from '../fixtures/pg-shapes.js';
import { createSanaDb, plantSanaProblems, type SanaDb } from '../fixtures/sana.js';

describeDb('rate-limits', () => {
  let rlf: TestDatabase;
  let erl: TestDatabase;
  let hs: TestDatabase;
  let sana: SanaDb;
  const { open, closeAll } = openedDatabases();
  beforeAll(async () => {
    [rlf, erl, hs] = await Promise.all([createTestDatabase('rl_flx'), createTestDatabase('rl_erl'), createTestDatabase('rl_hs')]);
    await Promise.all([rlf.query(RATE_LIMITER_FLEXIBLE), erl.query(EXPRESS_RATE_LIMIT), hs.query(HEALING_SPACE)]);
    sana = createSanaDb();
    plantSanaProblems(sana);
  });
  afterAll(async () => {
    await closeAll();
    sana.close();
    rmSync(sana.dir, { recursive: true, force: true });
    await Promise.all([rlf.drop(), erl.drop(), hs.drop()]);
  });

  it("rate-limiter-flexible's store: blocked keys over --limit with seconds to go, top keys, stale windows", async () => {
    const result = await inspectRateLimits(await open(rlf.url), { limit: 3 });
    expect(result.inMemoryOnly).toBe(false);
    expect(result.tables[0]).toMatchObject({ role: 'rate-limit', table: 'rlflx', columns: { key: 'key', hits: 'points', expires: 'expire' } });
    expect(result.rateLimit).toMatchObject({ rows: 4, active: 2, stale: 2 });
    expect(result.rateLimit!.blocked.map((k) => k.key)).toEqual(['register_127.0.0.1']);
    expect(result.rateLimit!.blocked[0]!.secondsUntilUnblock).toBeGreaterThan(285);
    expect(result.rateLimit!.blocked[0]!.secondsUntilUnblock).toBeLessThanOrEqual(295);
    expect(result.rateLimit!.top.map((k) => [k.key, k.hits])).toEqual([['register_127.0.0.1', 5], ['login_10.0.0.2', 1]]);
    const blocked = result.findings.find((f) => f.subject === 'register_127.0.0.1');
    expect(blocked).toMatchObject({ severity: 'warn', nextCommand: 'healfix rate-limits --clear register_127.0.0.1' });
    expect(blocked!.title).toMatch(/^register_127\.0\.0\.1 is blocked for \d+ s more \(5 hits\)$/);
    const stale = result.findings.find((f) => f.title.startsWith('2 rate-limit windows in rlflx expired long ago'));
    expect(stale!.nextCommand).toBe('healfix rate-limits --purge-expired');
    expect(rateLimitsCheckResult(result).status).toBe('warn');
  });

  it('without --limit it cannot tell who is blocked, and says which flag to add', async () => {
    const result = await inspectRateLimits(await open(rlf.url));
    expect(result.rateLimit!.blocked).toEqual([]);
    expect(result.findings.find((f) => f.severity === 'ok')!.nextCommand).toBe('healfix rate-limits --limit 5');
  });

  it('clears one key and purges finished windows, each in a transaction', async () => {
    const db = await open(rlf.url);
    const result = await inspectRateLimits(db, { limit: 3 });
    const clear = await planClearKey(db, result, 'register_127.0.0.1');
    expect(clear.steps).toEqual([{ table: 'rlflx', rows: 1, sql: `delete from "public"."rlflx" where "key"::text = 'register_127.0.0.1'` }]);
    expect(await clear.apply(db)).toEqual([{ table: 'rlflx', changed: 1 }]);
    await expect(planClearKey(db, result, 'no-such-key')).rejects.toThrow(/--clear: no key "no-such-key" in rlflx/);
    expect(await planPurgeExpiredWindows(result).apply(db)).toEqual([{ table: 'rlflx', changed: 2 }]);
    const { rows } = await rlf.query<{ key: string }>('select key from rlflx');
    expect(rows.map((r) => r.key)).toEqual(['login_10.0.0.2']);
  });

  it('an express-rate-limit style table with blocked_until and inet keys', async () => {
    const result = await inspectRateLimits(await open(erl.url));
    expect(result.tables[0]!.columns).toMatchObject({ key: 'ip_address', hits: 'hits', expires: 'reset_at', blocked: 'blocked_until' });
    expect(result.rateLimit!.blocked).toHaveLength(1);
    expect(result.rateLimit!.blocked[0]).toMatchObject({ key: '192.0.2.7', hits: 120 });
    expect(result.rateLimit!.blocked[0]!.secondsUntilUnblock).toBeGreaterThan(880);
  });

  it('Healing Space keeps limits in memory: says so and points at register-test', async () => {
    const result = await inspectRateLimits(await open(hs.url));
    expect(result.inMemoryOnly).toBe(true);
    expect(result.findings).toEqual([expect.objectContaining({ severity: 'ok', nextCommand: 'healfix register-test --url <app-url>' })]);
    expect(result.findings[0]!.title).toContain('process memory');
    expect(rateLimitsCheckResult(result)).toMatchObject({ status: 'ok' });
  });

  it('SANA: locked account with its unlock time, then --unlock on the SQLite file', async () => {
    const url = `sqlite:${sana.path}`;
    const db = await open(url);
    const result = await inspectRateLimits(db);
    expect(result.inMemoryOnly).toBe(true);
    expect(result.lockout!.locked.map((a) => a.account)).toEqual(['erin@example.com']);
    expect(result.lockout!.locked[0]!.secondsUntilUnlock).toBeGreaterThan(24 * 60);
    const locked = result.findings.find((f) => f.subject === 'erin@example.com');
    expect(locked).toMatchObject({ severity: 'warn', nextCommand: `healfix rate-limits --unlock erin@example.com --database-url sqlite:${sana.path}` });
    const threshold = await inspectRateLimits(db, { lockoutThreshold: 3 });
    expect(threshold.lockout!.atThreshold.map((a) => a.account)).toEqual(['frank@example.com']);

    await expect(planUnlock(db, result, 'nobody@example.com')).rejects.toBeInstanceOf(UsageError);
    const plan = await planUnlock(db, result, 'ERIN@example.com');
    expect(plan.steps[0]!.sql).toBe(`update "users" set "login_attempts" = 0, "locked_until" = null where lower("email") = lower('ERIN@example.com')`);
    // The read-only handle refuses to write: a check can never modify the file.
    await expect(plan.apply(db)).rejects.toThrow(/readonly/i);
    const writer = await open(url, true);
    expect(await plan.apply(writer)).toEqual([{ table: 'users', changed: 1 }]);
    expect(sana.db.prepare("select login_attempts, locked_until from users where email = 'erin@example.com'").get()).toEqual({ login_attempts: 0, locked_until: null });
  });
});
