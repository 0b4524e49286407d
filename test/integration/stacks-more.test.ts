/**
 * Pending signups, codes and lockouts of stacks that do not install here, on tables created exactly as
 * each project's own migration defines them (the source file is named above each schema). Rows are
 * inserted as the library writes them (hashes where it stores hashes).
 */
import { afterAll, beforeAll, expect, it } from 'vitest';
import { inspectRateLimits } from '../../src/checks/rate-limits.js';
import { inspectTempRegistrations } from '../../src/checks/temp-registrations.js';
import { planPurgeExpired } from '../../src/fix/purge-temp-registrations.js';
import { createTestDatabase, describeDb, openedDatabases, type TestDatabase } from '../helpers/db.js';

// nextauthjs/next-auth packages/adapter-pg/schema.sql
const AUTHJS = `
CREATE TABLE users (id SERIAL, name VARCHAR(255), email VARCHAR(255) UNIQUE, "emailVerified" TIMESTAMPTZ, image TEXT, PRIMARY KEY (id));
CREATE TABLE verification_token (identifier TEXT NOT NULL, expires TIMESTAMPTZ NOT NULL, token TEXT NOT NULL, PRIMARY KEY (identifier, token));
INSERT INTO verification_token VALUES
  ('ann@example.com', now() - interval '2 days', encode(sha256('ann-old-link-secret'::bytea), 'hex')),
  ('ann@example.com', now() + interval '20 hours', encode(sha256('ann-new-link-secret'::bytea), 'hex')),
  ('bob@example.com', now() + interval '23 hours', encode(sha256('bob-link-secret'::bytea), 'hex'));
`;

// supabase/auth migrations/00_init_auth_schema.up.sql (auth.users, the columns the check reads) and
// migrations/20240427152123_add_one_time_tokens_table.up.sql (auth.one_time_tokens, verbatim).
const SUPABASE = `
CREATE SCHEMA auth;
CREATE TABLE auth.users (instance_id uuid NULL, id uuid NOT NULL UNIQUE, aud varchar(255) NULL, "role" varchar(255) NULL, email varchar(255) NULL UNIQUE,
  encrypted_password varchar(255) NULL, confirmed_at timestamptz NULL, email_confirmed_at timestamptz NULL, confirmation_token varchar(255) NULL, confirmation_sent_at timestamptz NULL,
  created_at timestamptz NULL, updated_at timestamptz NULL, CONSTRAINT users_pkey PRIMARY KEY (id));
create type one_time_token_type as enum ('confirmation_token', 'reauthentication_token', 'recovery_token', 'email_change_token_new', 'email_change_token_current', 'phone_change_token');
create table auth.one_time_tokens (
  id uuid primary key, user_id uuid not null references auth.users on delete cascade, token_type one_time_token_type not null,
  token_hash text not null, relates_to text not null, created_at timestamp without time zone not null default now(),
  updated_at timestamp without time zone not null default now(), check (char_length(token_hash) > 0));
create unique index one_time_tokens_user_id_token_type_key on auth.one_time_tokens (user_id, token_type);
INSERT INTO auth.users (id, email, email_confirmed_at, created_at) VALUES
  ('00000000-0000-0000-0000-00000000000a', 'amy@example.com', now() - interval '3 days', now() - interval '4 days'),
  ('00000000-0000-0000-0000-00000000000b', 'ben@example.com', null, now() - interval '2 days'),
  ('00000000-0000-0000-0000-00000000000c', 'cal@example.com', null, now() - interval '1 hour');
INSERT INTO auth.one_time_tokens (id, user_id, token_type, token_hash, relates_to, created_at) VALUES
  ('10000000-0000-0000-0000-00000000000b', '00000000-0000-0000-0000-00000000000b', 'confirmation_token', encode(sha224('ben-token-secret'::bytea), 'hex'), 'ben@example.com', (now() at time zone 'utc') - interval '2 days'),
  ('10000000-0000-0000-0000-00000000000c', '00000000-0000-0000-0000-00000000000c', 'confirmation_token', encode(sha224('cal-token-secret'::bytea), 'hex'), 'cal@example.com', (now() at time zone 'utc') - interval '1 hour');
`;

// better-auth/better-auth packages/core/src/db/get-tables.ts (user, verification, rateLimit), as its
// Kysely migrator creates them on PostgreSQL.
const BETTER_AUTH = `
CREATE TABLE "user" ("id" text NOT NULL PRIMARY KEY, "name" text NOT NULL, "email" text NOT NULL UNIQUE, "emailVerified" boolean NOT NULL, "image" text, "createdAt" timestamptz NOT NULL, "updatedAt" timestamptz NOT NULL);
CREATE TABLE "verification" ("id" text NOT NULL PRIMARY KEY, "identifier" text NOT NULL, "value" text NOT NULL, "expiresAt" timestamptz NOT NULL, "createdAt" timestamptz, "updatedAt" timestamptz);
CREATE TABLE "rateLimit" ("id" text NOT NULL PRIMARY KEY, "key" text NOT NULL UNIQUE, "count" integer NOT NULL, "lastRequest" bigint NOT NULL);
INSERT INTO "verification" VALUES
  ('v1', 'email-verification-otp-dee@example.com', '482913:0', now() - interval '10 minutes', now() - interval '15 minutes', now()),
  ('v2', 'email-verification-otp-eve@example.com', '105734:1', now() + interval '4 minutes', now() - interval '1 minute', now());
INSERT INTO "rateLimit" VALUES ('r1', '192.0.2.7/sign-up/email', 100, (extract(epoch from now()) * 1000)::bigint - 2000),
  ('r2', '192.0.2.8/sign-up/email', 3, (extract(epoch from now()) * 1000)::bigint - 1000);
`;

// jeremyevans/rodauth spec/migrate/001_tables.rb (Sequel, PostgreSQL branch; the tables the checks read).
const RODAUTH = `
CREATE EXTENSION IF NOT EXISTS citext;
CREATE TABLE account_statuses (id integer PRIMARY KEY, name text NOT NULL UNIQUE);
INSERT INTO account_statuses VALUES (1, 'Unverified'), (2, 'Verified'), (3, 'Closed');
CREATE TABLE accounts (id bigserial PRIMARY KEY, status_id integer NOT NULL DEFAULT 1 REFERENCES account_statuses, email citext NOT NULL);
CREATE UNIQUE INDEX accounts_email_index ON accounts (email) WHERE status_id IN (1, 2);
CREATE TABLE account_verification_keys (id bigint PRIMARY KEY REFERENCES accounts, key text NOT NULL, requested_at timestamp NOT NULL DEFAULT CURRENT_TIMESTAMP);
CREATE TABLE account_login_failures (id bigint PRIMARY KEY REFERENCES accounts, number integer NOT NULL DEFAULT 1);
CREATE TABLE account_lockouts (id bigint PRIMARY KEY REFERENCES accounts, key text NOT NULL, deadline timestamp NOT NULL DEFAULT (CURRENT_TIMESTAMP + interval '1 day'), email_last_sent timestamp);
INSERT INTO accounts (status_id, email) VALUES (2, 'fay@example.com'), (1, 'gus@example.com'), (2, 'hal@example.com');
INSERT INTO account_verification_keys (id, key) VALUES (2, 'gus-verify-key-secret');
INSERT INTO account_login_failures (id, number) VALUES (3, 100);
INSERT INTO account_lockouts (id, key) VALUES (3, 'hal-unlock-key-secret');
`;

// django-otp/django-otp src/django_otp/plugins/otp_email/migrations (0001 + later fields), PostgreSQL.
const DJANGO_OTP = `
CREATE TABLE auth_user (id serial PRIMARY KEY, username varchar(150) NOT NULL UNIQUE, email varchar(254) NOT NULL);
CREATE TABLE otp_email_emaildevice (id serial PRIMARY KEY, name varchar(64) NOT NULL, confirmed boolean NOT NULL, token varchar(16) NULL,
  valid_until timestamptz NOT NULL, email varchar(254) NULL, throttling_failure_count integer NOT NULL CHECK (throttling_failure_count >= 0),
  throttling_failure_timestamp timestamptz NULL, user_id integer NOT NULL REFERENCES auth_user(id));
INSERT INTO auth_user (username, email) VALUES ('ida', 'ida@example.com'), ('jon', 'jon@example.com'), ('kim', 'kim@example.com');
INSERT INTO otp_email_emaildevice (name, confirmed, token, valid_until, throttling_failure_count, user_id) VALUES
  ('email', true, '719304', now() + interval '4 minutes', 0, 1),
  ('email', true, '552210', now() - interval '1 hour', 0, 2),
  ('email', true, null, now() - interval '2 hours', 0, 3);
`;

// phoenixframework/phoenix priv/templates/phx.gen.auth/migration.ex, rendered for Accounts.User
// (bigint ids, naive_datetime; 1.7's column_definitions: email citext, token binary).
const PHOENIX = `
CREATE EXTENSION IF NOT EXISTS citext;
CREATE TABLE users (id bigserial PRIMARY KEY, email citext NOT NULL, hashed_password varchar(255) NOT NULL, confirmed_at timestamp(0),
  inserted_at timestamp(0) NOT NULL, updated_at timestamp(0) NOT NULL);
CREATE UNIQUE INDEX users_email_index ON users (email);
CREATE TABLE users_tokens (id bigserial PRIMARY KEY, user_id bigint NOT NULL REFERENCES users(id) ON DELETE CASCADE, token bytea NOT NULL,
  context varchar(255) NOT NULL, sent_to varchar(255), inserted_at timestamp(0) NOT NULL);
CREATE INDEX users_tokens_user_id_index ON users_tokens (user_id);
CREATE UNIQUE INDEX users_tokens_context_token_index ON users_tokens (context, token);
INSERT INTO users (email, hashed_password, confirmed_at, inserted_at, updated_at) VALUES
  ('lea@example.com', '$2b$12$x', localtimestamp - interval '20 days', localtimestamp - interval '30 days', localtimestamp),
  ('max@example.com', '$2b$12$y', null, localtimestamp - interval '8 days', localtimestamp),
  ('ned@example.com', '$2b$12$z', null, localtimestamp - interval '1 day', localtimestamp);
INSERT INTO users_tokens (user_id, token, context, sent_to, inserted_at) VALUES
  (1, sha256('lea-session'::bytea), 'session', null, localtimestamp - interval '30 days'),
  (2, sha256('max-confirm-secret'::bytea), 'confirm', 'max@example.com', localtimestamp - interval '8 days'),
  (3, sha256('ned-confirm-secret'::bytea), 'confirm', 'ned@example.com', localtimestamp - interval '1 day');
`;

describeDb('more stacks on their own migrations', () => {
  const dbs: Record<string, TestDatabase> = {};
  const databases = openedDatabases();
  const open = (name: string) => databases.open(dbs[name]!.url);
  beforeAll(async () => {
    for (const [name, sql] of Object.entries({ authjs: AUTHJS, supabase: SUPABASE, betterauth: BETTER_AUTH, rodauth: RODAUTH, djangootp: DJANGO_OTP, phoenix: PHOENIX })) {
      dbs[name] = await createTestDatabase(`stk_${name}`);
      await dbs[name]!.query(sql);
    }
  });
  afterAll(async () => {
    await databases.closeAll();
    await Promise.all(Object.values(dbs).map((d) => d.drop()));
  });

  it('Auth.js: hashed verification tokens are counted and aged, never shown; only the expired one is purged, by its physical row', async () => {
    const result = await inspectTempRegistrations(await open('authjs'));
    expect(result.stacks.map((s) => s.id)).toContain('authjs');
    expect(result.counts.otp).toMatchObject({ table: 'verification_token', rows: 3, expired: 1, live: 2 });
    expect(result.tables.find((t) => t.role === 'otp')!.reason).toContain('hashed codes in token are never read');
    const sql = planPurgeExpired(result).map((s) => s.sql).join('\n');
    expect(sql).toContain('verification_token');
    expect(sql).toContain('ctid');
    const hashes = (await dbs.authjs!.query('select token from verification_token')).rows.map((r) => r.token as string);
    for (const h of hashes) expect(JSON.stringify(result)).not.toContain(h);
  });

  it('Supabase: unconfirmed auth.users are the pending signups (accounts, never purged); a token older than GOTRUE_MAILER_OTP_EXP is expired', async () => {
    const result = await inspectTempRegistrations(await open('supabase'));
    expect(result.stacks.map((s) => s.id)).toContain('supabase');
    expect(result.pendingSignups!.map((s) => s.email).sort()).toEqual(['ben@example.com', 'cal@example.com']);
    expect(result.counts.otp).toMatchObject({ table: 'auth.one_time_tokens', rows: 2, expired: 1, live: 1 });
    expect(result.pendingSignups!.find((s) => s.email === 'ben@example.com')!.state).toBe('link expired');
    expect(result.purgeTargets.map((t) => t.table)).toEqual(['auth.one_time_tokens']);
    const hour = await inspectTempRegistrations(await open('supabase'), { settings: { GOTRUE_MAILER_OTP_EXP: 3 * 3_600_000 } });
    expect(hour.counts.otp).toMatchObject({ expired: 1, live: 1 });
    const week = await inspectTempRegistrations(await open('supabase'), { settings: { GOTRUE_MAILER_OTP_EXP: 7 * 86_400_000 } });
    expect(week.counts.otp).toMatchObject({ expired: 0, live: 2 });
  });

  it('Better Auth: verification rows expire at expiresAt; the OTP in value never appears', async () => {
    const result = await inspectTempRegistrations(await open('betterauth'));
    expect(result.stacks.map((s) => s.id)).toContain('better-auth');
    expect(result.counts.otp).toMatchObject({ table: 'verification', rows: 2, expired: 1, live: 1 });
    expect(JSON.stringify(result)).not.toMatch(/482913|105734/);
  });

  it('Better Auth: the rateLimit row at rateLimit.max inside its 10 s window is refused (429); the other is not', async () => {
    // The window is 10 s: stamp the requests now so the test does not race the fixture's age.
    await dbs.betterauth!.query(`update "rateLimit" set "lastRequest" = (extract(epoch from clock_timestamp()) * 1000)::bigint - 2000`);
    const result = await inspectRateLimits(await open('betterauth'));
    expect(result.stacks.map((s) => s.id)).toContain('better-auth');
    expect(result.lockout).toMatchObject({ table: 'rateLimit', threshold: 100, lockedStatus: 429 });
    expect(result.lockout!.locked.map((a) => a.account)).toEqual(['192.0.2.7/sign-up/email']);
    expect(result.lockout!.locked[0]!.secondsUntilUnlock).toBeGreaterThanOrEqual(6);
    expect(result.lockout!.locked[0]!.secondsUntilUnlock).toBeLessThanOrEqual(8);
  });

  it('rodauth: status 1 accounts are pending (never purged); account_lockouts names the locked account id until its deadline', async () => {
    const pending = await inspectTempRegistrations(await open('rodauth'));
    expect(pending.stacks.map((s) => s.id)).toContain('rodauth');
    expect(pending.pendingSignups).toEqual([expect.objectContaining({ email: 'gus@example.com', state: 'pending' })]);
    expect(pending.purgeTargets).toEqual([]);
    expect(JSON.stringify(pending)).not.toContain('gus-verify-key-secret');
    const locks = await inspectRateLimits(await open('rodauth'));
    expect(locks.lockout).toMatchObject({ table: 'account_lockouts' });
    expect(locks.lockout!.locked).toEqual([expect.objectContaining({ account: '3', locked: true, secondsUntilUnlock: expect.any(Number) })]);
    expect(locks.lockout!.locked[0]!.secondsUntilUnlock).toBeGreaterThan(86_000);
  });

  it('django-otp: an expired device token is counted, a used one (token null) is used, and a device is never a purge target', async () => {
    const result = await inspectTempRegistrations(await open('djangootp'));
    expect(result.stacks.map((s) => s.id)).toContain('django-otp');
    expect(result.counts.otp).toMatchObject({ table: 'otp_email_emaildevice', rows: 3, used: 1, live: 1 });
    expect(result.purgeTargets).toEqual([]);
    expect(JSON.stringify(result)).not.toMatch(/719304|552210/);
  });

  it('Phoenix: confirm tokens are read (hashed: counts and ages), sessions in the same table are not, and nothing there is purged', async () => {
    const result = await inspectTempRegistrations(await open('phoenix'));
    expect(result.stacks.map((s) => s.id)).toContain('phoenix');
    expect(result.pendingSignups!.map((p) => [p.email, p.state])).toEqual([['max@example.com', 'link expired'], ['ned@example.com', 'pending']]);
    expect(result.counts.otp).toMatchObject({ table: 'users_tokens', rows: 2, expired: 1, live: 1 });
    expect(result.purgeTargets).toEqual([]);
    const week = await inspectTempRegistrations(await open('phoenix'), { settings: { confirm_validity_in_days: 10 * 86_400_000 } });
    expect(week.counts.otp).toMatchObject({ expired: 0, live: 2 });
  });
});
