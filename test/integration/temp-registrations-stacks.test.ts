/**
 * Pending signups read with a stack's semantics (src/knowledge) on catalog-shaped PostgreSQL tables
 * built from the frameworks' migrations (django-allauth's account models, Devise's generator). The
 * real apps come with the register-test work; these pin "pending", "expired" and "never purge accounts".
 */
import { afterAll, beforeAll, expect, it } from 'vitest';
import { inspectTempRegistrations, tempRegistrationsCheckResult } from '../../src/checks/temp-registrations.js';
import { planPurgeExpired } from '../../src/fix/purge-temp-registrations.js';
import { createTestDatabase, describeDb, openedDatabases, type TestDatabase } from '../helpers/db.js';

const DAY = 86_400_000;

// allauth/account/migrations (ACCOUNT_EMAIL_CONFIRMATION_HMAC = False keeps confirmation rows)
const ALLAUTH = `
create table auth_user (id serial primary key, username varchar(150) not null unique, email varchar(254) not null, password varchar(128) not null);
create table account_emailaddress (id serial primary key, email varchar(254) not null, verified boolean not null, "primary" boolean not null, user_id integer not null references auth_user(id));
create table account_emailconfirmation (id serial primary key, created timestamptz not null, sent timestamptz, key varchar(64) not null unique, email_address_id integer not null references account_emailaddress(id));
insert into auth_user (username, email, password) values ('ann', 'ann@example.com', 'pbkdf2$x'), ('bob', 'bob@example.com', 'pbkdf2$y'), ('cy', 'cy@example.com', 'pbkdf2$z');
insert into account_emailaddress (email, verified, "primary", user_id) values ('ann@example.com', true, true, 1), ('bob@example.com', false, true, 2), ('cy@example.com', false, true, 3);
insert into account_emailconfirmation (created, sent, key, email_address_id) values
  (now() - interval '5 days', now() - interval '5 days', 'k-bob-secret-never-shown', 2),
  (now() - interval '1 day', now() - interval '1 day', 'k-cy-secret-never-shown', 3);
`;

const DEVISE = `
create table users (
  id bigserial primary key, email varchar not null default '', encrypted_password varchar not null default '',
  confirmation_token varchar, confirmed_at timestamp, confirmation_sent_at timestamp, unconfirmed_email varchar,
  created_at timestamp not null default localtimestamp, updated_at timestamp not null default localtimestamp
);
insert into users (email, confirmation_token, confirmed_at, confirmation_sent_at, created_at) values
  ('done@example.com', null, localtimestamp - interval '9 days', localtimestamp - interval '10 days', localtimestamp - interval '10 days'),
  ('late@example.com', 'tok-late', null, localtimestamp - interval '5 days', localtimestamp - interval '5 days'),
  ('new@example.com', 'tok-new', null, localtimestamp - interval '1 hour', localtimestamp - interval '1 hour');
`;

describeDb('temp-registrations with a recognised stack', () => {
  let allauth: TestDatabase;
  let devise: TestDatabase;
  const role = `healfix_tr_${process.pid}`;
  const { open, closeAll } = openedDatabases();
  beforeAll(async () => {
    [allauth, devise] = await Promise.all([createTestDatabase('tr_allauth'), createTestDatabase('tr_devise')]);
    await Promise.all([allauth.query(ALLAUTH), devise.query(DEVISE)]);
    await allauth.query(`create role ${role} login password 'tr-reader-pw'`);
  });
  afterAll(async () => {
    await closeAll();
    await Promise.all([allauth.drop(), devise.drop()]);
    const { default: pg } = await import('pg');
    const admin = new pg.Client({ connectionString: devise.url.replace(/\/[^/?]+(\?|$)/, '/postgres$1') });
    await admin.connect().then(() => admin.query(`drop role if exists ${role}`)).catch(() => {}).finally(() => admin.end());
  });

  it('a pending-signup table this role may not read is an error with a GRANT hint, not "kept in memory"', async () => {
    const result = await inspectTempRegistrations(await open(allauth.urlFor(role, 'tr-reader-pw')));
    expect(result.inMemoryOnly).toBeUndefined();
    expect(result.findings[0]).toMatchObject({ severity: 'error', title: expect.stringMatching(/^cannot read account_emailaddress: no SELECT privilege/), hint: expect.stringContaining(`GRANT SELECT ON "public"."account_emailaddress" TO "${role}"`) });
    expect(tempRegistrationsCheckResult(result).status).toBe('error');
  });

  it('django-allauth: unverified addresses are the pending signups; a confirmation expires sent + 3 days', async () => {
    const result = await inspectTempRegistrations(await open(allauth.url));
    expect(result.stacks.map((s) => s.id)).toContain('django-allauth');
    expect(result.counts.pending).toMatchObject({ table: 'account_emailaddress', rows: 2, expired: 0 });
    expect(result.counts.otp).toMatchObject({ table: 'account_emailconfirmation', rows: 2, expired: 1, live: 1 });
    // Only the expired confirmation is purged; the addresses (accounts) never are.
    expect(result.purgeTargets).toEqual([expect.objectContaining({ table: 'account_emailconfirmation', expiresColumn: 'sent', expiresPlusMs: 3 * DAY, expiredRows: 1 })]);
    expect(planPurgeExpired(result)[0]!.sql).toContain('sent + 3 d is before now');
    expect(JSON.stringify(result)).not.toContain('secret-never-shown');
    // No "already has an account" for rows that ARE accounts.
    expect(result.findings.map((f) => f.title).join('\n')).not.toMatch(/already have an account/);
    const week = await inspectTempRegistrations(await open(allauth.url), { settings: { ACCOUNT_EMAIL_CONFIRMATION_EXPIRE_DAYS: 7 * DAY } });
    expect(week.counts.otp).toMatchObject({ expired: 0 });
  });

  it('Devise: unconfirmed users are pending, never purged, and an expired link (confirm_within) makes it exit 1', async () => {
    const db = await open(devise.url);
    const plain = await inspectTempRegistrations(db);
    expect(plain.counts.pending).toMatchObject({ table: 'users', rows: 2, expired: 0 });
    expect(plain.tables.map((t) => t.role)).toEqual(['pending']);
    expect(plain.purgeTargets).toEqual([]);
    expect(tempRegistrationsCheckResult(plain).status).toBe('ok');
    const within = await inspectTempRegistrations(db, { settings: { confirm_within: 3 * DAY } });
    expect(within.counts.pending).toMatchObject({ rows: 2, expired: 1 });
    expect(within.purgeTargets).toEqual([]);
    const late = within.findings.find((f) => f.title.includes('past the confirmation window'));
    expect(late).toMatchObject({ severity: 'warn', data: { emails: ['late@example.com'] } });
    expect(late!.detail).toContain('never purges them');
  });
});
