import { randomBytes } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { Browser, hiddenInputs, pageText, textOfClass } from '../helpers/browser.js';
import { createTestDatabase, type TestDatabase } from '../helpers/db.js';
import { describeFramework, expressAvailable, startExpressApp, type RunningApp } from '../helpers/frameworks.js';
import { saveFixture, saveSchema } from './capture.js';

const password = `Pw-${randomBytes(9).toString('base64url')}`;
const email = (label: string) => `hf-${label}-${randomBytes(4).toString('hex')}@example.test`;

describeFramework('Express 5 + csrf-csrf + passport-local', expressAvailable(), () => {
  let db: TestDatabase;
  let app: RunningApp;

  beforeAll(async () => {
    db = await createTestDatabase('express');
    app = await startExpressApp({ databaseUrl: db.url });
    process.stderr.write(`[healfix frameworks] express: migrate ${app.migrateMs} ms, ready ${app.readyMs} ms\n`);
  });
  afterAll(async () => {
    await app?.stop();
    await db?.drop();
  });

  async function register(browser: Browser, address: string, pw = password) {
    const form = await browser.get('/register');
    expect(form.status).toBe(200);
    const hidden = hiddenInputs(form.html);
    expect(hidden._csrf).toBeTruthy();
    return { form, result: await browser.post('/register', { ...hidden, email: address, password: pw, password_confirmation: pw }) };
  }

  it('registers through the form: a users row, then passport-local signs in with the same password', async () => {
    const address = email('signup');
    const browser = new Browser(app.url);
    const { form, result } = await register(browser, address);
    saveFixture('express', 'signup.html', form.html);
    expect(result.status).toBe(302);
    expect(result.location).toBe('/login?registered=1');
    expect((await db.query('select id from users where email = $1', [address])).rows).toEqual([{ id: expect.any(Number) }]);
    const login = await browser.get('/login');
    const signedIn = await browser.post('/login', { ...hiddenInputs(login.html), email: address, password });
    expect(signedIn.status).toBe(302);
    expect(pageText((await browser.get('/')).html)).toContain(`Signed in as ${address}`);
  });

  it('refuses a POST without the CSRF token with 403 and creates nothing', async () => {
    const address = email('nocsrf');
    const browser = new Browser(app.url);
    await browser.get('/register');
    const result = await browser.post('/register', { email: address, password, password_confirmation: password });
    expect(result.status).toBe(403);
    expect(pageText(result.html)).toContain('invalid csrf token');
    expect((await db.query('select 1 from users where email = $1', [address])).rowCount).toBe(0);
  });

  it('re-renders the form with its errors (422) for a short password and for a taken email', async () => {
    const address = email('short');
    const { result } = await register(new Browser(app.url), address, 'abc');
    expect(result.status).toBe(422);
    expect(textOfClass(result.html, 'errors')).toEqual(['Password must be at least 8 characters.']);
    expect((await db.query('select 1 from users where email = $1', [address])).rowCount).toBe(0);
    saveFixture('express', 'signup-error-password.html', result.html);

    const taken = email('taken');
    await register(new Browser(app.url), taken);
    const again = await register(new Browser(app.url), taken);
    expect(again.result.status).toBe(422);
    expect(textOfClass(again.result.html, 'errors')).toEqual(['Email is already registered.']);
    saveFixture('express', 'signup-error-email-taken.html', again.result.html);
  });

  it('answers 500 and logs the pg error on users_pkey when users_id_seq lags behind explicit-id rows', async () => {
    await db.query(`insert into users (id, email, password_hash)
      select s.last_value + n, 'imported' || n || '@example.test', '!' from users_id_seq s, generate_series(1, 5) as n`);
    const { result } = await register(new Browser(app.url), email('lagging'));
    expect(result.status).toBe(500);
    const log = readFileSync(app.logFile, 'utf8');
    expect(log).toMatch(/POST \/register 500 error: duplicate key value violates unique constraint "users_pkey"/);
    expect(log).not.toContain(password);
    saveFixture('express', 'server-500.log', log);
    saveSchema('express', db.url, ['users', 'schema_migrations']);
  });
});
