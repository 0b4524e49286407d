import { expect, it } from 'vitest';
import { djangoAvailable, startDjangoApp } from '../helpers/frameworks.js';
import { registerTestSuite, show } from './register-test-suite.js';

registerTestSuite({
  title: 'Django 3.2 + django-allauth',
  available: djangoAvailable(),
  start: startDjangoApp,
  flow: 'django-allauth',
  account: { table: 'auth_user', email: 'email' },
  refusedMessage: 'This password is too short. It must contain at least 8 characters.',
  lagAccounts: `insert into auth_user (id, password, is_superuser, username, first_name, last_name, email, is_staff, is_active, date_joined)
      select s.last_value + n, '!', false, 'imported' || n, '', '', 'imported' || n || '@example.test', false, true, now()
      from auth_user_id_seq s, generate_series(1, 5) as n`,
  constraint: 'auth_user_pkey',
  logFoundBy: /Server log \(the \d+ KB the log gained during the request\)/,
  sequence: 'public.auth_user_id_seq',
  more: (ctx) => {
    it('allauth writes two tables: both lagging are named, and fixing only the first leaves a half-created account that is reported', async () => {
      const { db } = ctx;
      const lastUser = async () => (await db.query('select last_value from auth_user_id_seq')).rows[0].last_value;
      await db.query(`insert into auth_user (id, password, is_superuser, username, first_name, last_name, email, is_staff, is_active, date_joined)
        select $1::bigint + n, '!', false, 'imp2_' || n, '', '', 'imp2_' || n || '@example.test', false, true, now() from generate_series(1, 3) as n`, [await lastUser()]);
      await db.query(`insert into account_emailaddress (id, email, verified, "primary", user_id)
        select s.last_value + n, 'imp2_' || n || '@example.test', true, true, (select id from auth_user where username = 'imp2_' || n) from account_emailaddress_id_seq s, generate_series(1, 3) as n`);
      const both = await ctx.cli(['--server-log', ctx.app.logFile]);
      show('two lagging', both.stdout + both.stderr);
      expect(both.code).toBe(1);
      expect(both.stdout).toMatch(/duplicate key on auth_user_pkey: sequence public\.auth_user_id_seq lags max\(id\) by \d+ \(and 1 more the signup writes: public\.account_emailaddress_id_seq\)/);
      expect(both.stdout).toContain("django-allauth's signup is not atomic");

      // Users without an email row so far (the previous test's imported ones): the rule counts them too.
      const orphanCount = async () => (await db.query('select count(*)::int as n from auth_user u where not exists (select 1 from account_emailaddress e where e.user_id = u.id)')).rows[0].n as number;
      const before = await orphanCount();
      // Fix only auth_user's sequence: the user row is written, its email row collides.
      await db.query(`select setval('auth_user_id_seq', (select max(id) from auth_user))`);
      const half = await ctx.cli(['--server-log', ctx.app.logFile]);
      show('half-created', half.stdout + half.stderr);
      expect(half.code).toBe(1);
      expect(half.stdout).toContain('duplicate key on account_emailaddress_pkey: sequence public.account_emailaddress_id_seq');
      expect(await orphanCount()).toBe(before + 1);
      expect(half.stdout).toContain(`${before + 1} half-created accounts in auth_user: no account_emailaddress row`);
    });
  },
});
