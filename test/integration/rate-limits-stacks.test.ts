/**
 * Lockouts read with a stack's own semantics (src/knowledge), on catalog-shaped tables built from the
 * frameworks' migrations (Devise's generator, django-axes' models). The real Rails and Django apps
 * come with the register-test work; these pin the rules on real PostgreSQL rows.
 */
import { afterAll, beforeAll, expect, it } from 'vitest';
import { inspectRateLimits, rateLimitsCheckResult } from '../../src/checks/rate-limits.js';
import { planUnlock, readAccountLock } from '../../src/fix/rate-limits.js';
import { createTestDatabase, describeDb, openedDatabases, type TestDatabase } from '../helpers/db.js';

// lib/generators/active_record/templates/migration.rb (confirmable + lockable enabled)
const DEVISE = `
create table users (
  id bigserial primary key, email varchar not null default '', encrypted_password varchar not null default '',
  reset_password_token varchar, reset_password_sent_at timestamp, remember_created_at timestamp,
  confirmation_token varchar, confirmed_at timestamp, confirmation_sent_at timestamp, unconfirmed_email varchar,
  failed_attempts integer not null default 0, unlock_token varchar, locked_at timestamp,
  created_at timestamp not null default localtimestamp, updated_at timestamp not null default localtimestamp
);
insert into users (email, failed_attempts, unlock_token, locked_at, confirmed_at) values
  ('locked@example.com', 3, 'digest-not-shown', localtimestamp - interval '10 minutes', localtimestamp - interval '1 day'),
  ('lapsed@example.com', 3, 'digest-2', localtimestamp - interval '2 hours', localtimestamp - interval '1 day'),
  ('fine@example.com', 1, null, null, localtimestamp - interval '1 day');
`;

// axes/migrations: axes_accessattempt as django-axes creates it
const AXES = `
create table django_migrations (id serial primary key, app varchar(255) not null, name varchar(255) not null, applied timestamptz not null);
create table axes_accessattempt (
  id serial primary key, user_agent varchar(255) not null, ip_address inet, username varchar(255),
  http_accept varchar(1025) not null, path_info varchar(255) not null, attempt_time timestamptz not null,
  get_data text not null, post_data text not null, failures_since_start integer not null check (failures_since_start >= 0)
);
insert into axes_accessattempt (user_agent, ip_address, username, http_accept, path_info, attempt_time, get_data, post_data, failures_since_start) values
  ('curl', '127.0.0.1', 'ann', '*/*', '/accounts/login/', now() - interval '1 minute', '', '', 3),
  ('curl', '127.0.0.1', 'bob', '*/*', '/accounts/login/', now() - interval '1 minute', '', '', 2);
`;

// laravel/laravel database/migrations: 0001_01_01_000000_create_users_table, 0001_01_01_000001_create_cache_table
const LARAVEL = `
create table migrations (id serial primary key, migration varchar(255) not null, batch integer not null);
create table users (id bigserial primary key, name varchar(255) not null, email varchar(255) not null unique, email_verified_at timestamp, password varchar(255) not null, remember_token varchar(100), created_at timestamp, updated_at timestamp);
create table cache (key varchar(255) primary key, value text not null, expiration integer not null);
insert into cache (key, value, expiration) values
  ('laravel_cache_login|127.0.0.1', 'i:5;', extract(epoch from now())::int + 60),
  ('laravel_cache_login|127.0.0.1:timer', 'i:' || (extract(epoch from now())::int + 45) || ';', extract(epoch from now())::int + 60),
  ('laravel_cache_config', 's:3:"abc";', extract(epoch from now())::int + 600);
`;

describeDb('rate-limits with a recognised stack', () => {
  let devise: TestDatabase;
  let axes: TestDatabase;
  let laravelDb: TestDatabase;
  const role = `healfix_rl_${process.pid}`;
  const { open, closeAll } = openedDatabases();
  beforeAll(async () => {
    [devise, axes, laravelDb] = await Promise.all([createTestDatabase('rl_devise'), createTestDatabase('rl_axes'), createTestDatabase('rl_laravel')]);
    await Promise.all([devise.query(DEVISE), axes.query(AXES), laravelDb.query(LARAVEL)]);
    await axes.query(`create role ${role} login password 'rl-reader-pw'`);
    await axes.query(`grant select on django_migrations to ${role}`);
  });
  afterAll(async () => {
    await closeAll();
    await Promise.all([devise.drop(), axes.drop(), laravelDb.drop()]);
    const { default: pg } = await import('pg');
    const admin = new pg.Client({ connectionString: devise.url });
    await admin.connect().then(() => admin.query(`drop role if exists ${role}`)).catch(() => {}).finally(() => admin.end());
  });

  it('Devise: locked_at is the start of the lock, which ends locked_at + unlock_in (1 h by default)', async () => {
    const result = await inspectRateLimits(await open(devise.url));
    expect(result.stacks.map((s) => s.id)).toContain('devise');
    expect(result.lockout).toMatchObject({ table: 'users', stack: 'devise', threshold: 20, lockedStatus: 401 });
    expect(result.lockout!.locked.map((a) => a.account)).toEqual(['locked@example.com']);
    const left = result.lockout!.locked[0]!.secondsUntilUnlock!;
    expect(left).toBeGreaterThan(49 * 60);
    expect(left).toBeLessThanOrEqual(50 * 60);
    // Three failures lock this app (its maximum_attempts); the default of 20 is only the fallback.
    expect(result.findings.find((f) => f.subject === 'locked@example.com')!.title).toMatch(/^account locked@example\.com is locked for 50 min more \(3 failed logins\)$/);
  });

  it('Devise --unlock clears locked_at, failed_attempts and unlock_token, and the re-read proves it', async () => {
    const db = await open(devise.url);
    const result = await inspectRateLimits(db);
    const plan = await planUnlock(db, result, 'LOCKED@example.com');
    expect(plan.steps[0]!.sql).toBe(`update "public"."users" set "locked_at" = null, "failed_attempts" = 0, "unlock_token" = null where lower("email"::text) = lower('LOCKED@example.com')`);
    expect(await plan.apply(db)).toEqual([{ table: 'users', changed: 1 }]);
    const { rows } = await devise.query('select locked_at, failed_attempts, unlock_token from users where email = $1', ['locked@example.com']);
    expect(rows[0]).toEqual({ locked_at: null, failed_attempts: 0, unlock_token: null });
    expect(await readAccountLock(db, await inspectRateLimits(db), 'locked@example.com')).toMatchObject({ rows: 1, locked: 0, atThreshold: 0 });
  });

  it('--unlock on an account that is not locked plans nothing', async () => {
    const db = await open(devise.url);
    const plan = await planUnlock(db, await inspectRateLimits(db), 'fine@example.com');
    expect(plan.steps).toEqual([]);
    expect(plan.state).toMatchObject({ rows: 1, locked: 0 });
  });

  it('django-axes: a key at exactly AXES_FAILURE_LIMIT is locked (403), with no end unless a cool-off is set', async () => {
    const db = await open(axes.url);
    const result = await inspectRateLimits(db);
    expect(result.lockout).toMatchObject({ table: 'axes_accessattempt', stack: 'django-axes', threshold: 3, lockedStatus: 403 });
    expect(result.lockout!.locked).toEqual([{ account: 'ann / 127.0.0.1', unlockAs: 'ann', attempts: 3, locked: true }]);
    expect(result.findings.find((f) => f.subject === 'ann / 127.0.0.1')!.detail).toContain('(403)');
    const cooled = await inspectRateLimits(db, { settings: { AXES_COOLOFF_TIME: 30_000 } });
    expect(cooled.lockout!.locked).toEqual([]);
  });

  it('django-axes --unlock deletes the attempts, as axes_reset_username does', async () => {
    const db = await open(axes.url);
    const plan = await planUnlock(db, await inspectRateLimits(db), 'ann');
    expect(plan.steps[0]!.sql).toBe(`delete from "public"."axes_accessattempt" where (lower("username"::text) = lower('ann') or lower(host("ip_address")) = lower('ann'))`);
    expect(await plan.apply(db)).toEqual([{ table: 'axes_accessattempt', changed: 1 }]);
    expect((await axes.query('select username from axes_accessattempt')).rows).toEqual([{ username: 'bob' }]);
  });

  it("Laravel's cache limiter: the key is locked until its :timer row, and --unlock deletes both rows", async () => {
    const db = await open(laravelDb.url);
    const result = await inspectRateLimits(db);
    expect(result.lockout).toMatchObject({ table: 'cache', stack: 'laravel', threshold: 5, lockedStatus: 429 });
    expect(result.lockout!.locked.map((a) => a.account)).toEqual(['laravel_cache_login|127.0.0.1']);
    expect(result.lockout!.locked[0]!.secondsUntilUnlock).toBeGreaterThan(40);
    const plan = await planUnlock(db, result, 'laravel_cache_login|127.0.0.1');
    expect(plan.steps[0]).toMatchObject({ rows: 2 });
    expect(await plan.apply(db)).toEqual([{ table: 'cache', changed: 2 }]);
    expect((await laravelDb.query('select key from cache')).rows).toEqual([{ key: 'laravel_cache_config' }]);
  });

  it('a lockout table this role may not read is an error with a GRANT hint, never "limits in memory"', async () => {
    const limited = await open(axes.urlFor(role, 'rl-reader-pw'));
    const result = await inspectRateLimits(limited);
    const denied = result.findings.find((f) => f.severity === 'error');
    expect(denied).toMatchObject({ title: expect.stringMatching(/^cannot read axes_accessattempt: no SELECT privilege/), hint: `GRANT SELECT ON "public"."axes_accessattempt" TO "${role}"; or run as the table's owner.` });
    expect(result.lockout).toBeUndefined();
    expect(rateLimitsCheckResult(result).status).toBe('error');
  });
});
