import { randomBytes } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { Browser, hiddenInputs, links, pageText } from '../helpers/browser.js';
import { createTestDatabase, type TestDatabase } from '../helpers/db.js';
import { describeFramework, railsAvailable, startRailsApp, type RunningApp } from '../helpers/frameworks.js';
import { maildevAvailable, startMailCatcher, type MailCatcher } from '../helpers/mail-catcher.js';
import { saveFixture, saveSchema } from './capture.js';

const available = railsAvailable().ok ? maildevAvailable() : railsAvailable();
const password = `Pw-${randomBytes(9).toString('base64url')}`;
const email = (label: string) => `hf-${label}-${randomBytes(4).toString('hex')}@example.test`;

describeFramework('Rails 6.1 + Devise 4.8', available, () => {
  let db: TestDatabase;
  let mail: MailCatcher;
  let app: RunningApp;

  beforeAll(async () => {
    mail = await startMailCatcher();
    db = await createTestDatabase('rails');
    app = await startRailsApp({ databaseUrl: db.url, mail: { smtpHost: mail.smtpHost, smtpPort: mail.smtpPort } });
    process.stderr.write(`[healfix frameworks] rails: migrate ${app.migrateMs} ms, ready ${app.readyMs} ms\n`);
  });
  afterAll(async () => {
    await app?.stop();
    await mail?.stop();
    await db?.drop();
  });

  async function signUp(browser: Browser, address: string, pw = password) {
    const form = await browser.get('/users/sign_up');
    expect(form.status).toBe(200);
    const hidden = hiddenInputs(form.html, (a) => a.id === 'new_user');
    expect(hidden.authenticity_token).toBeTruthy();
    const fields = { ...hidden, 'user[email]': address, 'user[password]': pw, 'user[password_confirmation]': pw };
    return { form, result: await browser.post('/users', fields) };
  }

  async function confirm(address: string): Promise<void> {
    const href = links((await mail.waitForMessage(address)).html ?? '').find((h) => h.includes('/users/confirmation?confirmation_token='));
    expect(href).toBeDefined();
    const link = new URL(href!);
    const answer = await new Browser(app.url).get(link.pathname + link.search);
    expect(answer.status).toBe(302);
    expect(answer.location).toMatch(/\/users\/sign_in$/);
  }

  async function logIn(browser: Browser, address: string, pw: string) {
    const form = await browser.get('/users/sign_in');
    return browser.post('/users/sign_in', { ...hiddenInputs(form.html, (a) => a.id === 'new_user'), 'user[email]': address, 'user[password]': pw });
  }

  it('signs up through Devise: an unconfirmed users row and a confirmation mail whose link confirms it', async () => {
    const address = email('signup');
    const { form, result } = await signUp(new Browser(app.url), address);
    saveFixture('rails', 'signup.html', form.html);
    expect(result.status).toBe(302);
    const before = await db.query('select confirmed_at, confirmation_sent_at is not null as sent from users where email = $1', [address]);
    expect(before.rows).toEqual([{ confirmed_at: null, sent: true }]);
    await confirm(address);
    const after = await db.query('select confirmed_at is not null as confirmed from users where email = $1', [address]);
    expect(after.rows).toEqual([{ confirmed: true }]);
  });

  it('re-renders the form with #error_explanation and creates no row for a short password, and for a taken email', async () => {
    const address = email('short');
    const { result } = await signUp(new Browser(app.url), address, 'abc');
    expect(result.status).toBe(200);
    expect(pageText(result.html)).toContain('Password is too short (minimum is 6 characters)');
    expect(result.html).toContain('id="error_explanation"');
    expect((await db.query('select 1 from users where email = $1', [address])).rowCount).toBe(0);
    saveFixture('rails', 'signup-error-password.html', result.html);

    const taken = email('taken');
    await signUp(new Browser(app.url), taken);
    const again = await signUp(new Browser(app.url), taken);
    expect(again.result.status).toBe(200);
    expect(pageText(again.result.html)).toContain('Email has already been taken');
    expect((await db.query('select count(*)::int as n from users where email = $1', [taken])).rows[0].n).toBe(1);
    saveFixture('rails', 'signup-error-email-taken.html', again.result.html);
  });

  it('refuses a signup POST with a stale authenticity_token with 422 and logs InvalidAuthenticityToken', async () => {
    const address = email('nocsrf');
    const form = await new Browser(app.url).get('/users/sign_up');
    const fresh = new Browser(app.url);
    const fields = { ...hiddenInputs(form.html, (a) => a.id === 'new_user'), 'user[email]': address, 'user[password]': password, 'user[password_confirmation]': password };
    const result = await fresh.post('/users', fields);
    expect(result.status).toBe(422);
    expect((await db.query('select 1 from users where email = $1', [address])).rowCount).toBe(0);
    const requestId = result.headers.get('x-request-id');
    const tagged = readFileSync(app.logFile, 'utf8').split('\n').filter((l) => l.startsWith(`[${requestId}]`));
    expect(tagged.join('\n')).toContain("Can't verify CSRF token authenticity.");
    expect(tagged.join('\n')).toContain('ActionController::InvalidAuthenticityToken');
    saveFixture('rails', 'csrf-422.log', `${tagged.slice(0, 8).join('\n')}\n`);
  });

  it('locks the account after three bad logins (locked_at set), even for the right password, and mails the unlock link', async () => {
    const address = email('lock');
    await signUp(new Browser(app.url), address);
    await confirm(address);
    const browser = new Browser(app.url);
    const texts: string[] = [];
    for (let attempt = 0; attempt < 3; attempt++) texts.push(pageText((await logIn(browser, address, 'wrong-password')).html));
    expect(texts[0]).toContain('Invalid Email or password.');
    expect(texts[1]).toContain('You have one more attempt before your account is locked.');
    expect(texts[2]).toContain('Your account is locked.');
    const row = await db.query('select failed_attempts, locked_at is not null as locked, unlock_token is not null as has_unlock_token from users where email = $1', [address]);
    expect(row.rows).toEqual([{ failed_attempts: 3, locked: true, has_unlock_token: true }]);
    const right = await logIn(browser, address, password);
    expect(right.status).toBe(200);
    expect(pageText(right.html)).toContain('Your account is locked.');
    saveFixture('rails', 'login-locked.html', right.html);
    const mails = (await mail.messages()).filter((m) => m.to.some((t) => t.address === address));
    expect(mails.map((m) => m.subject)).toEqual(['Confirmation instructions', 'Unlock instructions']);
  });

  it('answers 500 and logs PG::UniqueViolation on users_pkey, tagged with the X-Request-Id, when users_id_seq lags', async () => {
    await db.query(`insert into users (id, email, encrypted_password, created_at, updated_at)
      select s.last_value + n, 'imported' || n || '@example.test', '!', now(), now() from users_id_seq s, generate_series(1, 5) as n`);
    const { result } = await signUp(new Browser(app.url), email('lagging'));
    expect(result.status).toBe(500);
    const requestId = result.headers.get('x-request-id');
    expect(requestId).toMatch(/^[0-9a-f-]{36}$/);
    const lines = readFileSync(app.logFile, 'utf8').split('\n').filter((l) => l.startsWith(`[${requestId}]`));
    const tagged = lines.join('\n');
    expect(tagged).toContain('Completed 500 Internal Server Error');
    expect(tagged).toMatch(/ActiveRecord::RecordNotUnique \(PG::UniqueViolation: ERROR: {2}duplicate key value violates unique constraint "users_pkey"/);
    expect(tagged).not.toContain(password);
    saveFixture('rails', 'server-500.log', `${tagged}\n`);
    saveSchema('rails', db.url, ['users', 'schema_migrations']);
  });
});
