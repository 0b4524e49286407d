/**
 * healfix on the real Rails 6.1 + Devise 4.8 app (test/frameworks/apps/rails: confirmable with
 * confirm_within 3 days, lockable at 3 attempts with unlock_in 1 hour): every users row comes from
 * Devise's own registration, confirmation link and failed sign-ins; explain reads the app's pages and log.
 */
import { readFileSync } from 'node:fs';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { Browser, hiddenInputs, links, pageText } from '../helpers/browser.js';
import { createTestDatabase, type TestDatabase } from '../helpers/db.js';
import { runCli } from '../helpers/exec.js';
import { describeFramework, railsAvailable, startRailsApp, type RunningApp } from '../helpers/frameworks.js';
import { maildevAvailable, startMailCatcher, type MailCatcher } from '../helpers/mail-catcher.js';
import { healfixOn, json, showRun, testEmail, testPassword } from './stacks-helpers.js';

const available = railsAvailable().ok ? maildevAvailable() : railsAvailable();
const password = testPassword();
const email = testEmail;
const DEVISE_SETTINGS = ['--setting', 'confirm_within=3d', '--setting', 'unlock_in=1h', '--setting', 'maximum_attempts=3'];

describeFramework('healfix on the real Rails + Devise app', available, () => {
  let db: TestDatabase;
  let mail: MailCatcher;
  let app: RunningApp;
  const pendingA = email('pending-a');
  const pendingB = email('pending-b');
  const confirmed = email('confirmed');
  const locked = email('locked');
  const healfix = healfixOn(() => db.url);

  async function signUp(address: string) {
    const browser = new Browser(app.url);
    const form = await browser.get('/users/sign_up');
    const fields = { ...hiddenInputs(form.html, (a) => a.id === 'new_user'), 'user[email]': address, 'user[password]': password, 'user[password_confirmation]': password };
    expect((await browser.post('/users', fields)).status).toBe(302);
  }
  async function confirm(address: string) {
    const href = links((await mail.waitForMessage(address)).html ?? '').find((h) => h.includes('/users/confirmation?confirmation_token='))!;
    const link = new URL(href);
    expect((await new Browser(app.url).get(link.pathname + link.search)).status).toBe(302);
  }
  async function logIn(browser: Browser, address: string, pw: string) {
    const form = await browser.get('/users/sign_in');
    return browser.post('/users/sign_in', { ...hiddenInputs(form.html, (a) => a.id === 'new_user'), 'user[email]': address, 'user[password]': pw });
  }

  beforeAll(async () => {
    mail = await startMailCatcher();
    db = await createTestDatabase('stk_rails');
    app = await startRailsApp({ databaseUrl: db.url, mail: { smtpHost: mail.smtpHost, smtpPort: mail.smtpPort } });
    for (const address of [pendingA, pendingB, confirmed, locked]) await signUp(address);
    await confirm(confirmed);
    await confirm(locked);
  });
  afterAll(async () => {
    await app?.stop();
    await mail?.stop();
    await db?.drop();
  });

  it('temp-registrations lists exactly the unconfirmed users (never a confirmed one) and exits 0 while inside confirm_within', async () => {
    const r = await healfix(['temp-registrations', '--json', ...DEVISE_SETTINGS]);
    const out = json(r.stdout);
    expect(out.stacks.map((s: { id: string }) => s.id)).toEqual(expect.arrayContaining(['devise', 'rails']));
    expect(out.pendingSignups.map((s: { email: string }) => s.email).sort()).toEqual([pendingA, pendingB].sort());
    expect(out.counts.pending).toMatchObject({ table: 'users', rows: 2, live: 2, expired: 0 });
    expect(r.code).toBe(0);
    const tokens = (await db.query('select confirmation_token from users where confirmation_token is not null')).rows.map((row) => row.confirmation_token as string);
    for (const token of tokens) expect(r.stdout).not.toContain(token);
  });

  it('a signup whose confirmation was sent 4 days ago (confirm_within 3 days) makes it exit 1; --purge-expired --yes deletes no account', async () => {
    // Signed up and mailed 4 days ago, as Devise would have written it then.
    await db.query(`update users set confirmation_sent_at = confirmation_sent_at - interval '4 days', created_at = created_at - interval '4 days' where email = $1`, [pendingA]);
    const r = await healfix(['temp-registrations', ...DEVISE_SETTINGS]);
    expect(r.code).toBe(1);
    const titles = json((await healfix(['temp-registrations', '--json', ...DEVISE_SETTINGS])).stdout).findings.map((f: { title: string }) => f.title);
    expect(titles).toEqual(['1 unconfirmed signup in users past the confirmation window']);
    expect(r.stdout).toMatch(new RegExp(`${pendingA.replace(/[.]/g, '\\.')}.*expired`));
    expect(r.stdout).not.toContain(confirmed);
    // The link mailed to that user now fails in the app; explain answers the app's own words.
    const href = links((await mail.waitForMessage(pendingA)).html ?? '').find((h) => h.includes('/users/confirmation?confirmation_token='))!;
    const link = new URL(href);
    const page = await new Browser(app.url).get(link.pathname + link.search);
    const refusal = pageText(page.html);
    expect(refusal).toMatch(/Email needs to be confirmed within 3 days, please request a new one/);
    const explained = await runCli(['explain', '--json', refusal]);
    showRun(['explain', '--json', '<text of the page the expired confirmation link opens>'], explained);
    expect(json(explained.stdout).diagnoses[0].stack).toMatchObject({ id: 'devise', error: 'unconfirmed' });
    const before = (await db.query('select count(*)::int as n from users')).rows[0].n;
    const purge = await healfix(['temp-registrations', '--purge-expired', '--yes', ...DEVISE_SETTINGS]);
    // The expired rows are accounts: the plan is empty and nothing is deleted; the expired unconfirmed
    // signup is still a problem, so the run is not green.
    expect(purge.code).toBe(1);
    expect(purge.stdout).toContain('Plan: nothing to change.');
    expect((await db.query('select count(*)::int as n from users')).rows[0].n).toBe(before);
    expect((await db.query('select email from users where email = $1', [pendingA])).rowCount).toBe(1);
  });

  it('rate-limits names the account Devise locked after 3 bad logins with locked_at + unlock_in; --unlock lifts it and the right password signs in', async () => {
    const browser = new Browser(app.url);
    let lockedPage = '';
    for (let attempt = 0; attempt < 3; attempt++) lockedPage = (await logIn(browser, locked, 'wrong-password')).html;
    expect(pageText(lockedPage)).toContain('Your account is locked.');
    const refused = await logIn(new Browser(app.url), locked, password);
    expect(pageText(refused.html)).toContain('Your account is locked.');

    const r = await healfix(['rate-limits', '--json', ...DEVISE_SETTINGS]);
    expect(r.code).toBe(1);
    const out = json(r.stdout);
    expect(out.lockout).toMatchObject({ table: 'users', threshold: 3, stack: 'devise' });
    expect(out.lockout.locked).toEqual([expect.objectContaining({ account: locked, locked: true })]);
    const lockedAt = (await db.query(`select locked_at from users where email = $1`, [locked])).rows[0].locked_at as Date;
    expect(Math.abs(Date.parse(out.lockout.locked[0].lockedUntil) - (lockedAt.getTime() + 3_600_000))).toBeLessThan(1000);
    await healfix(['rate-limits', ...DEVISE_SETTINGS]);

    const unlock = await healfix(['rate-limits', '--unlock', locked, '--yes', ...DEVISE_SETTINGS]);
    expect(unlock.code).toBe(0);
    expect(unlock.stdout).toContain(`now: ${locked} is no longer locked (re-read after the write)`);
    expect((await db.query('select failed_attempts, locked_at, unlock_token from users where email = $1', [locked])).rows).toEqual([{ failed_attempts: 0, locked_at: null, unlock_token: null }]);
    const signIn = await logIn(new Browser(app.url), locked, password);
    expect(signIn.status).toBe(302);
    expect(pageText(signIn.html)).not.toContain('locked');

    const explained = await runCli(['explain', '--json', pageText(refused.html)]);
    showRun(['explain', '--json', '<text of the sign-in page answering the right password>'], explained);
    expect(json(explained.stdout).diagnoses[0].stack).toMatchObject({ id: 'devise', error: 'locked' });
  });

  it('explain answers Devise\'s "confirm your email" flash the app shows to an unconfirmed sign-in', async () => {
    // Devise redirects back to the sign-in page and shows the flash there (same session).
    const browser = new Browser(app.url);
    const answer = await logIn(browser, pendingB, password);
    expect(answer.status).toBe(302);
    const text = pageText((await browser.get(answer.location!)).html);
    expect(text).toContain('You have to confirm your email address before continuing.');
    const r = await runCli(['explain', '--json', text]);
    showRun(['explain', '--json', '<text of the sign-in page of an unconfirmed user>'], r);
    expect(json(r.stdout).diagnoses[0].stack).toMatchObject({ id: 'devise', error: 'unconfirmed' });
  });

  it('explain answers the InvalidAuthenticityToken 422 from the log with Rails\' form advice, not an API\'s', async () => {
    const form = await new Browser(app.url).get('/users/sign_up');
    const refused = await new Browser(app.url).post('/users', { ...hiddenInputs(form.html, (a) => a.id === 'new_user'), 'user[email]': email('nocsrf'), 'user[password]': password, 'user[password_confirmation]': password });
    expect(refused.status).toBe(422);
    const id = refused.headers.get('x-request-id');
    const lines = readFileSync(app.logFile, 'utf8').split('\n').filter((l) => l.startsWith(`[${id}]`)).slice(0, 8).join('\n');
    const r = await runCli(['explain', '--json'], { input: lines });
    showRun(['explain', '--json', '< the 422 request\'s log lines'], r);
    const top = json(r.stdout).diagnoses[0];
    expect(top.stack).toMatchObject({ id: 'rails', error: 'invalid-authenticity-token' });
    expect(JSON.stringify(top)).toContain('authenticity_token');
    expect(JSON.stringify(top)).not.toMatch(/\/api\/csrf-token/);
  });

  it('explain answers the PG::UniqueViolation of a 500 (lagging users_id_seq) with the sequences fix', async () => {
    await db.query(`insert into users (id, email, encrypted_password, created_at, updated_at)
      select s.last_value + n, 'imported' || n || '@example.test', '!', now(), now() from users_id_seq s, generate_series(1, 3) as n`);
    const browser = new Browser(app.url);
    const form = await browser.get('/users/sign_up');
    const answer = await browser.post('/users', { ...hiddenInputs(form.html, (a) => a.id === 'new_user'), 'user[email]': email('lag'), 'user[password]': password, 'user[password_confirmation]': password });
    expect(answer.status).toBe(500);
    const id = answer.headers.get('x-request-id');
    const lines = readFileSync(app.logFile, 'utf8').split('\n').filter((l) => l.startsWith(`[${id}]`)).join('\n');
    const r = await runCli(['explain', '--json'], { input: lines });
    showRun(['explain', '--json', '< the 500 request\'s log lines'], r);
    const top = json(r.stdout).diagnoses[0];
    expect(top).toMatchObject({ id: 'duplicate-key', facts: expect.objectContaining({ constraint: 'users_pkey', table: 'users' }) });
    expect(top.nextCommands[0]).toBe('healfix sequences --fix --table users');
  });
});
