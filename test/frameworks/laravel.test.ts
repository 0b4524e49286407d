import { randomBytes } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { Browser, hiddenInputs, pageText, textOfClass } from '../helpers/browser.js';
import { createTestDatabase, type TestDatabase } from '../helpers/db.js';
import { describeFramework, laravelAvailable, startLaravelApp, type RunningApp } from '../helpers/frameworks.js';
import { saveFixture, saveSchema } from './capture.js';

const password = `Pw-${randomBytes(9).toString('base64url')}`;
const email = (label: string) => `hf-${label}-${randomBytes(4).toString('hex')}@example.test`;

describeFramework('Laravel 8 (Debian php-laravel-framework)', laravelAvailable(), () => {
  let db: TestDatabase;
  let app: RunningApp;

  beforeAll(async () => {
    db = await createTestDatabase('laravel');
    app = await startLaravelApp({ databaseUrl: db.url });
    process.stderr.write(`[healfix frameworks] laravel: migrate ${app.migrateMs} ms, ready ${app.readyMs} ms\n`);
  });
  afterAll(async () => {
    await app?.stop();
    await db?.drop();
  });

  async function register(browser: Browser, address: string, pw = password) {
    const form = await browser.get('/register');
    expect(form.status).toBe(200);
    const hidden = hiddenInputs(form.html);
    expect(hidden._token).toBeTruthy();
    return { form, result: await browser.post('/register', { ...hidden, name: 'Test User', email: address, password: pw, password_confirmation: pw }) };
  }

  it('registers through the form with _token: a users row, and the session is signed in', async () => {
    const address = email('signup');
    const browser = new Browser(app.url);
    const { form, result } = await register(browser, address);
    saveFixture('laravel', 'signup.html', form.html);
    expect(result.status).toBe(302);
    expect(result.location).toBe(app.url); // Laravel 8 writes redirect('/') without the trailing slash
    expect((await db.query('select id::int, email_verified_at from users where email = $1', [address])).rows).toEqual([{ id: expect.any(Number), email_verified_at: null }]);
    expect(pageText((await browser.get('/')).html)).toBe(`Signed in as ${address}`);
  });

  it('accepts the XSRF-TOKEN cookie mirrored into X-XSRF-TOKEN instead of _token, and answers 419 with neither', async () => {
    const browser = new Browser(app.url);
    await browser.get('/register');
    const xsrf = decodeURIComponent((await browser.cookie('XSRF-TOKEN')) ?? '');
    expect(xsrf).not.toBe('');
    const address = email('xsrf');
    const fields = { name: 'Test User', email: address, password, password_confirmation: password };
    const refused = await browser.post('/register', fields);
    expect(refused.status).toBe(419);
    expect(pageText(refused.html)).toContain('Page Expired');
    expect((await db.query('select 1 from users where email = $1', [address])).rowCount).toBe(0);
    const accepted = await browser.post('/register', fields, { 'x-xsrf-token': xsrf });
    expect(accepted.status).toBe(302);
    expect((await db.query('select 1 from users where email = $1', [address])).rowCount).toBe(1);
  });

  it('redirects back and shows the validation errors for a short password and for a taken email', async () => {
    const address = email('short');
    const browser = new Browser(app.url);
    const { result } = await register(browser, address, 'abc');
    expect(result.status).toBe(302);
    expect(result.location).toBe(`${app.url}/register`);
    const shown = await browser.get('/register');
    expect(textOfClass(shown.html, 'invalid-feedback').join(' ')).toContain('The password must be at least 8 characters.');
    expect((await db.query('select 1 from users where email = $1', [address])).rowCount).toBe(0);
    saveFixture('laravel', 'signup-error-password.html', shown.html);

    const taken = email('taken');
    await register(new Browser(app.url), taken);
    const second = new Browser(app.url);
    await register(second, taken);
    const again = await second.get('/register');
    expect(textOfClass(again.html, 'invalid-feedback').join(' ')).toContain('The email has already been taken.');
    saveFixture('laravel', 'signup-error-email-taken.html', again.html);
  });

  it('answers 500 and logs SQLSTATE[23505] on users_pkey when users_id_seq lags behind explicit-id rows', async () => {
    await db.query(`insert into users (id, name, email, password, created_at, updated_at)
      select s.last_value + n, 'Imported', 'imported' || n || '@example.test', '!', now(), now() from users_id_seq s, generate_series(1, 5) as n`);
    const { result } = await register(new Browser(app.url), email('lagging'));
    expect(result.status).toBe(500);
    const log = readFileSync(app.logFile, 'utf8');
    expect(log).toMatch(/production\.ERROR: SQLSTATE\[23505\]: Unique violation: 7 ERROR: {2}duplicate key value violates unique constraint "users_pkey"/);
    expect(log).not.toContain(password);
    saveFixture('laravel', 'error-500.html', result.html);
    saveFixture('laravel', 'server-500.log', log);
    saveSchema('laravel', db.url, ['users', 'password_resets', 'failed_jobs', 'migrations']);
  });
});
