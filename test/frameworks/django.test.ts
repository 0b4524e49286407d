import { randomBytes } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { Browser, hiddenInputs, pageText, textOfClass } from '../helpers/browser.js';
import { createTestDatabase, type TestDatabase } from '../helpers/db.js';
import { describeFramework, djangoAvailable, startDjangoApp, type RunningApp } from '../helpers/frameworks.js';
import { maildevAvailable, startMailCatcher, type MailCatcher } from '../helpers/mail-catcher.js';
import { saveFixture, saveSchema } from './capture.js';

const available = djangoAvailable().ok ? maildevAvailable() : djangoAvailable();
const password = `Pw-${randomBytes(9).toString('base64url')}`;
const email = (label: string) => `hf-${label}-${randomBytes(4).toString('hex')}@example.test`;

describeFramework('Django 3.2 + django-allauth + django-axes', available, () => {
  let db: TestDatabase;
  let mail: MailCatcher;
  let app: RunningApp;

  beforeAll(async () => {
    mail = await startMailCatcher();
    db = await createTestDatabase('django');
    app = await startDjangoApp({ databaseUrl: db.url, mail: { smtpHost: mail.smtpHost, smtpPort: mail.smtpPort } });
    process.stderr.write(`[healfix frameworks] django: migrate ${app.migrateMs} ms, ready ${app.readyMs} ms\n`);
  });
  afterAll(async () => {
    await app?.stop();
    await mail?.stop();
    await db?.drop();
  });

  async function signUp(browser: Browser, address: string, pw = password) {
    const form = await browser.get('/accounts/signup/');
    expect(form.status).toBe(200);
    const hidden = hiddenInputs(form.html, (a) => a.id === 'signup_form');
    expect(hidden.csrfmiddlewaretoken).toBeTruthy();
    return { form, result: await browser.post('/accounts/signup/', { ...hidden, email: address, password1: pw, password2: pw }) };
  }

  it('signs up through allauth: an auth_user row, an unverified account_emailaddress, a confirmation mail', async () => {
    const address = email('signup');
    const { form, result } = await signUp(new Browser(app.url), address);
    saveFixture('django', 'signup.html', form.html);
    expect(result.status).toBe(302);
    expect(result.location).toBe('/accounts/confirm-email/');
    const rows = await db.query('select u.id, e.verified from auth_user u join account_emailaddress e on e.user_id = u.id where u.email = $1', [address]);
    expect(rows.rows).toEqual([{ id: expect.any(Number), verified: false }]);
    const message = await mail.waitForMessage(address);
    expect(message.text ?? '').toMatch(/http:\/\/[^\s]+\/accounts\/confirm-email\/[^\s/]+\//);
  });

  it('confirms the address by the link in the mail (GET the page, POST its form)', async () => {
    const address = email('confirm');
    const browser = new Browser(app.url);
    await signUp(browser, address);
    const link = new URL(/(http:\/\/\S+\/accounts\/confirm-email\/\S+?\/)/.exec((await mail.waitForMessage(address)).text ?? '')![1]);
    const page = await browser.get(link.pathname);
    expect(page.status).toBe(200);
    const confirmed = await browser.post(link.pathname, hiddenInputs(page.html));
    expect(confirmed.status).toBe(302);
    const rows = await db.query('select verified from account_emailaddress where email = $1', [address]);
    expect(rows.rows).toEqual([{ verified: true }]);
  });

  it('re-renders the form with the field error and creates no row for a common password, and for a taken email', async () => {
    const address = email('weak');
    const { result } = await signUp(new Browser(app.url), address, 'password');
    expect(result.status).toBe(200);
    expect(textOfClass(result.html, 'errorlist').join(' ')).toContain('This password is too common.');
    expect((await db.query('select 1 from auth_user where email = $1', [address])).rowCount).toBe(0);
    saveFixture('django', 'signup-error-password.html', result.html);

    const taken = email('taken');
    await signUp(new Browser(app.url), taken);
    const again = await signUp(new Browser(app.url), taken);
    expect(again.result.status).toBe(200);
    expect(textOfClass(again.result.html, 'errorlist').join(' ')).toContain('A user is already registered with this e-mail address.');
    expect((await db.query('select count(*)::int as n from auth_user where email = $1', [taken])).rows[0].n).toBe(1);
    saveFixture('django', 'signup-error-email-taken.html', again.result.html);
  });

  it('refuses a signup POST without the CSRF cookie with 403 and logs the reason', async () => {
    const address = email('nocsrf');
    const form = await new Browser(app.url).get('/accounts/signup/');
    const fresh = new Browser(app.url);
    const result = await fresh.post('/accounts/signup/', { ...hiddenInputs(form.html), email: address, password1: password, password2: password });
    expect(result.status).toBe(403);
    expect(pageText(result.html)).toContain('403 Forbidden');
    expect((await db.query('select 1 from auth_user where email = $1', [address])).rowCount).toBe(0);
    const log = readFileSync(app.logFile, 'utf8');
    expect(log).toContain('WARNING django.security.csrf Forbidden (CSRF cookie not set.): /accounts/signup/');
    saveFixture('django', 'csrf-403.html', result.html);
    saveFixture('django', 'csrf-403.log', log.split('\n').filter((l) => l.includes('django.security.csrf')).join('\n') + '\n');
  });

  it('locks the account after three bad logins (axes_accessattempt, 403), even for the right password', async () => {
    const address = email('lock');
    await signUp(new Browser(app.url), address);
    const browser = new Browser(app.url);
    const statuses: number[] = [];
    let last = '';
    for (let attempt = 0; attempt < 3; attempt++) {
      const form = await browser.get('/accounts/login/');
      const answer = await browser.post('/accounts/login/', { ...hiddenInputs(form.html), login: address, password: 'wrong-password' });
      statuses.push(answer.status);
      last = answer.html;
    }
    expect(statuses).toEqual([200, 200, 403]);
    expect(pageText(last)).toContain('Account locked: too many login attempts');
    saveFixture('django', 'login-locked.html', last);
    const attempts = await db.query('select username, failures_since_start from axes_accessattempt where username = $1', [address]);
    expect(attempts.rows).toEqual([{ username: address, failures_since_start: 3 }]);
    const form = await browser.get('/accounts/login/');
    const right = await browser.post('/accounts/login/', { ...hiddenInputs(form.html), login: address, password });
    expect(right.status).toBe(403);
  });

  it('answers 500 and logs the IntegrityError traceback when auth_user_id_seq lags behind explicit-id rows', async () => {
    await db.query(`insert into auth_user (id, password, is_superuser, username, first_name, last_name, email, is_staff, is_active, date_joined)
      select s.last_value + n, '!', false, 'imported' || n, '', '', 'imported' || n || '@example.test', false, true, now()
      from auth_user_id_seq s, generate_series(1, 5) as n`);
    const address = email('lagging');
    const { result } = await signUp(new Browser(app.url), address);
    expect(result.status).toBe(500);
    const log = readFileSync(app.logFile, 'utf8');
    expect(log).toContain('ERROR django.request Internal Server Error: /accounts/signup/');
    expect(log).toMatch(/IntegrityError: duplicate key value violates unique constraint "auth_user_pkey"/);
    expect(log).not.toContain(password);
    saveFixture('django', 'error-500.html', result.html);
    saveFixture('django', 'server-500.log', log);
    saveSchema('django', db.url, ['auth_user', 'account_emailaddress', 'account_emailconfirmation', 'axes_accessattempt', 'axes_accesslog', 'axes_accessfailurelog']);
  });
});
