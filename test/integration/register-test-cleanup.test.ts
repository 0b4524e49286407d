/**
 * --cleanup over the schema the real django-allauth app created (test/fixtures/frameworks/django/schema.sql, a
 * pg_dump of its migrations): the dependent rows go first (account_emailconfirmation → account_emailaddress →
 * auth_user), in one transaction, proven by re-reading; a role that may not delete gets a finding, not a crash.
 */
import { randomBytes } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { openDatabase, type OpenedDatabase } from '../../src/db/open.js';
import type { Flow } from '../../src/http/flow.js';
import { cleanupRun } from '../../src/register-test/cleanup.js';
import type { RegisterTestResult } from '../../src/register-test/index.js';
import { createTestDatabase, describeDb, dropRole, type TestDatabase } from '../helpers/db.js';

// Roles are cluster-wide: a name of this run's own, so a shared server (CI's second run) never meets a leftover.
const NO_DELETE = `healfix_rt_nodel_${randomBytes(3).toString('hex')}`;

const flow: Flow = { name: 'allauth', steps: [{ name: 's', method: 'POST', path: '/accounts/signup/' }], database: { account: { table: 'auth_user', column: 'email', value: '{{email}}' } } };
const emptyResult = (): RegisterTestResult => ({ url: 'http://x/', profile: 'flow', profileReason: '', ok: true, user: { username: 'u', email: 'e', phone: '' }, steps: [], findings: [], created: ['account'], summary: '' });

describeDb('register-test --cleanup with foreign keys from the catalog', () => {
  let tdb: TestDatabase;
  let seq = 0;
  beforeAll(async () => {
    tdb = await createTestDatabase('rtclean');
    await tdb.query(readFileSync(new URL('../fixtures/frameworks/django/schema.sql', import.meta.url), 'utf8'));
    await tdb.query("select pg_catalog.set_config('search_path', 'public', false)");
  });
  afterAll(async () => {
    await dropRole(NO_DELETE).catch(() => {});
    await tdb.drop();
  });

  /** One allauth signup as the app writes it: the user, its address, a confirmation (HMAC off). */
  async function signup(email: string): Promise<void> {
    seq++;
    const user = await tdb.query(
      `insert into auth_user (password, is_superuser, username, first_name, last_name, email, is_staff, is_active, date_joined) values ('!', false, $1, '', '', $2, false, true, now()) returning id`,
      [`u${seq}`, email],
    );
    const address = await tdb.query('insert into account_emailaddress (email, verified, "primary", user_id) values ($1, false, true, $2) returning id', [email, user.rows[0].id]);
    await tdb.query(`insert into account_emailconfirmation (created, sent, key, email_address_id) values (now(), now(), md5(random()::text), $1)`, [address.rows[0].id]);
  }

  const rowsFor = async (email: string) =>
    (
      await tdb.query(
        `select (select count(*)::int from auth_user where email = $1) as users, (select count(*)::int from account_emailaddress where email = $1) as addresses,
                (select count(*)::int from account_emailconfirmation c join account_emailaddress a on a.id = c.email_address_id where a.email = $1) as confirmations`,
        [email],
      )
    ).rows[0];

  async function cleanup(db: OpenedDatabase, email: string): Promise<RegisterTestResult> {
    const result = emptyResult();
    await cleanupRun({ url: 'http://x/', db, cleanup: true }, flow, result, { email, username: 'u' });
    return result;
  }

  it('deletes confirmation → address → user (the foreign keys made immediate, so the order matters) and re-reads nothing left', async () => {
    // Django declares them DEFERRABLE INITIALLY DEFERRED; made immediate, a wrong order fails at once.
    await tdb.query('alter table account_emailaddress alter constraint account_emailaddress_user_id_2c513194_fk_auth_user_id not deferrable');
    await tdb.query('alter table account_emailconfirmation alter constraint account_emailconfirm_email_address_id_5b7f8c58_fk_account_e not deferrable');
    await signup('gone@example.test');
    await signup('kept@example.test');
    const db = await openDatabase({ databaseUrl: tdb.url }, { write: true });
    try {
      const result = await cleanup(db, 'gone@example.test');
      expect(result.findings).toEqual([]);
      expect(result.ok).toBe(true);
      expect(result.cleanup).toEqual([
        { table: 'account_emailconfirmation', deleted: 1 },
        { table: 'account_emailaddress', deleted: 1 },
        { table: 'auth_user', deleted: 1, remaining: 0 },
      ]);
    } finally {
      await db.close();
    }
    expect(await rowsFor('gone@example.test')).toEqual({ users: 0, addresses: 0, confirmations: 0 });
    expect(await rowsFor('kept@example.test')).toEqual({ users: 1, addresses: 1, confirmations: 1 });
  });

  it('a role that may not delete the confirmation rows: one finding, rolled back, every row still there (no internal error)', async () => {
    await signup('locked@example.test');
    await tdb.query(`create role ${NO_DELETE} login password 'pw'`);
    await tdb.query(`grant select, delete on auth_user, account_emailaddress to ${NO_DELETE}`);
    await tdb.query(`grant select on account_emailconfirmation to ${NO_DELETE}`);
    const db = await openDatabase({ databaseUrl: tdb.urlFor(NO_DELETE, 'pw') }, { write: true });
    try {
      const result = await cleanup(db, 'locked@example.test');
      expect(result.ok).toBe(false);
      expect(result.findings.map((f) => f.title)).toEqual([
        '--cleanup could not delete the test rows: permission denied for table account_emailconfirmation (42501); rolled back, nothing was deleted',
      ]);
      expect(result.cleanup).toEqual([{ table: 'auth_user', deleted: 0, remaining: 1 }]);
    } finally {
      await db.close();
    }
    expect(await rowsFor('locked@example.test')).toEqual({ users: 1, addresses: 1, confirmations: 1 });
  });
});
