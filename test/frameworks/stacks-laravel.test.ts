/**
 * healfix on the real Laravel 8 app (test/frameworks/apps/laravel): users come from its register form;
 * the 419 page and the SQLSTATE[23505] log line explain reads are the app's own. The app has no
 * verification route (no Breeze in Debian), so "verified" is set as Laravel's markEmailAsVerified does.
 */
import { readFileSync } from 'node:fs';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { Browser, hiddenInputs, pageText } from '../helpers/browser.js';
import { createTestDatabase, type TestDatabase } from '../helpers/db.js';
import { runCli } from '../helpers/exec.js';
import { describeFramework, laravelAvailable, startLaravelApp, type RunningApp } from '../helpers/frameworks.js';
import { json, showRun, testEmail, testPassword } from './stacks-helpers.js';

const password = testPassword();
const email = testEmail;

describeFramework('healfix on the real Laravel app', laravelAvailable(), () => {
  let db: TestDatabase;
  let app: RunningApp;
  const unverified = email('unverified');
  const verified = email('verified');

  async function register(address: string) {
    const browser = new Browser(app.url);
    const form = await browser.get('/register');
    return browser.post('/register', { ...hiddenInputs(form.html), name: 'Test User', email: address, password, password_confirmation: password });
  }

  beforeAll(async () => {
    db = await createTestDatabase('stk_laravel');
    app = await startLaravelApp({ databaseUrl: db.url });
    for (const address of [unverified, verified]) expect((await register(address)).status).toBe(302);
    // What MustVerifyEmail::markEmailAsVerified() writes when the signed link is followed.
    await db.query('update users set email_verified_at = now() where email = $1', [verified]);
  });
  afterAll(async () => {
    await app?.stop();
    await db?.drop();
  });

  it('temp-registrations lists exactly the unverified user, never the verified one, and plans no purge of accounts', async () => {
    const r = await runCli(['temp-registrations', '--json', '-d', db.url]);
    showRun(['temp-registrations', '--json', '-d', 'DB'], r);
    const out = json(r.stdout);
    expect(out.stacks.map((s: { id: string }) => s.id)).toContain('laravel');
    expect(out.pendingSignups.map((s: { email: string }) => s.email)).toEqual([unverified]);
    const purge = await runCli(['temp-registrations', '--purge-expired', '--dry-run', '--json', '-d', db.url]);
    expect(purge.stdout).not.toMatch(/delete from "public"\."users"/);
    expect((await db.query('select count(*)::int as n from users')).rows[0].n).toBe(2);
  });

  it('explain answers the 419 Page Expired the app serves without a token with Laravel\'s advice', async () => {
    const browser = new Browser(app.url);
    await browser.get('/register');
    const refused = await browser.post('/register', { name: 'x', email: email('419'), password, password_confirmation: password });
    expect(refused.status).toBe(419);
    const text = `HTTP ${refused.status}\n${pageText(refused.html)}`;
    const r = await runCli(['explain', '--json', text]);
    showRun(['explain', '--json', `'${text}'`], r);
    const top = json(r.stdout).diagnoses[0];
    expect(top.stack).toMatchObject({ id: 'laravel' });
    expect(JSON.stringify(top)).toMatch(/_token|XSRF-TOKEN/);
    expect(JSON.stringify(top)).not.toMatch(/\/api\/csrf-token/);
  });

  it('explain answers the SQLSTATE[23505] line of the 500 log with the sequences fix', async () => {
    await db.query(`insert into users (id, name, email, password, created_at, updated_at)
      select s.last_value + n, 'Imported', 'imported' || n || '@example.test', '!', now(), now() from users_id_seq s, generate_series(1, 3) as n`);
    expect((await register(email('lagging'))).status).toBe(500);
    const line = readFileSync(app.logFile, 'utf8').split('\n').find((l) => l.includes('SQLSTATE[23505]'))!;
    const r = await runCli(['explain', '--json'], { input: line });
    showRun(['explain', '--json', '< the SQLSTATE[23505] log line'], r);
    const top = json(r.stdout).diagnoses[0];
    expect(top).toMatchObject({ id: 'duplicate-key', facts: expect.objectContaining({ constraint: 'users_pkey', table: 'users' }) });
    expect(top.nextCommands[0]).toBe('healfix sequences --fix --table users');
  });
});
